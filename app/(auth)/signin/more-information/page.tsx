import type { Metadata } from "next";
import { NextStepButton } from "@/components/forms/next-step-button";
import { redirect } from "next/navigation";
import { getCurrentTransaction } from "@/lib/auth/sign-in-flow";

export const metadata: Metadata = { title: "More information required" };

export default async function MoreInformationPage() {
  if (!(await getCurrentTransaction("registration"))) redirect("/signin");
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">More information required</h1>
      <p className="mb-6">Your organization needs more information to keep your account secure.</p>
      <div className="flex justify-end">
        <NextStepButton href="/register" />
      </div>
    </>
  );
}
