import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { rememberMfaDays } from "@/lib/auth/policy";
import { getCurrentTransaction } from "@/lib/auth/sign-in-flow";
import { getDb } from "@/lib/db/client";
import { getMethodSummary } from "@/lib/mfa/methods";
import { isSignInOptionId, SIGN_IN_OPTIONS } from "@/lib/mfa/registry";
import { VerifyForm } from "./verify-form";

export const metadata: Metadata = { title: "Verify" };

export default async function VerifyPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const current = await getCurrentTransaction("second_factor");
  if (!current) redirect("/signin");
  const { transaction } = current;
  const summary = await getMethodSummary(await getDb(), transaction.userId);
  const requested = (await searchParams).option;
  const option =
    isSignInOptionId(requested) && summary.options.includes(requested)
      ? requested
      : summary.defaultOption;
  if (!option) redirect("/signin");
  const info = SIGN_IN_OPTIONS[option];
  const stepUp = transaction.purpose === "step_up";
  const days = rememberMfaDays();
  return (
    <>
      <h1 className="mb-2 text-2xl font-semibold">
        {stepUp ? "Verify your identity" : info.heading}
      </h1>
      {stepUp && (
        <p className="mb-2 text-slate-700">
          For your security, confirm it is you before changing your security info.
        </p>
      )}
      <p className="mb-6 text-slate-700">{info.instructions}</p>
      <VerifyForm
        key={option}
        option={option}
        fieldLabel={info.fieldLabel}
        inputMode={info.inputMode}
        rememberDays={!stepUp && days > 0 ? days : null}
        hasOtherWays={summary.options.length > 1}
      />
    </>
  );
}
