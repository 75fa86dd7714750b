import type { Metadata } from "next";
import { NextStepButton } from "@/components/forms/next-step-button";
import { SubmitButton } from "@/components/forms/submit-button";
import { redirect } from "next/navigation";
import { describeGrace, getRegistrationGrace } from "@/lib/auth/registration-grace";
import { getCurrentTransaction } from "@/lib/auth/sign-in-flow";
import { getDb } from "@/lib/db/client";
import { askMeLaterAction } from "./actions";

export const metadata: Metadata = { title: "More information required" };

export default async function MoreInformationPage() {
  const current = await getCurrentTransaction("registration");
  if (!current) redirect("/signin");
  const grace = await getRegistrationGrace(await getDb(), current.transaction);
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">More information required</h1>
      <p className="mb-6">Your organization needs more information to keep your account secure.</p>
      {grace !== null && grace !== "risky" && (
        <p className="mb-6" id="grace-left">
          {describeGrace(grace)}
        </p>
      )}
      {grace === "risky" && (
        <p className="mb-6">
          This sign-in looks unusual, so setting up a method can&apos;t be postponed this time.
        </p>
      )}
      <div className="flex justify-end gap-3">
        {grace !== null && grace !== "risky" && (
          <form action={askMeLaterAction}>
            <SubmitButton
              variant="secondary"
              pendingLabel="Signing in…"
              aria-describedby="grace-left"
            >
              Ask me later
            </SubmitButton>
          </form>
        )}
        <NextStepButton href="/register" />
      </div>
    </>
  );
}
