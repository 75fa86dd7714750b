import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { NextStepButton } from "@/components/forms/next-step-button";
import { BackupChoices } from "@/components/mfa/backup-choices";
import { secondaryButton } from "@/components/ui/button-styles";
import { getRegistrant } from "@/lib/auth/registrant";
import { getDb } from "@/lib/db/client";
import { getEnv } from "@/lib/env";
import { backupStatus } from "@/lib/mfa/backup";
import { getMethodSummary } from "@/lib/mfa/methods";
import { defaultMethodName } from "@/lib/mfa/registry";

export const metadata: Metadata = { title: "Add a backup method" };

/** After the first method: a second of another kind, so one lost device is not a lockout (R-A9.7). */
export default async function BackupStepPage() {
  const registrant = await getRegistrant();
  if (!registrant) redirect("/signin");
  const summary = await getMethodSummary(await getDb(), registrant.user.id);
  if (!summary.defaultMethod) redirect("/register");
  const status = backupStatus(summary);
  const onward =
    registrant.via === "session"
      ? "/security-info"
      : summary.recoveryCodesLeft === 0
        ? "/register/recovery-codes"
        : "/register/success";
  if (!status.asked) redirect(onward);
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">Add a backup method</h1>
      <p className="mb-3">
        You can sign in with <strong>{defaultMethodName(summary.defaultMethod)}</strong>. Add a
        second way in, so that losing or replacing that device doesn&apos;t lock you out.
      </p>
      <p className="mb-6">
        {status.required
          ? "Your organisation requires a backup method. Choose one to set up now."
          : "Choose one to set up now, or skip it and add one later in Security info."}
      </p>
      <BackupChoices kinds={status.choices} />
      {status.required && (
        <p className="mt-6 text-sm">
          Can&apos;t set up any of these? Contact the helpdesk at{" "}
          <a className="text-brand-700 underline" href={`mailto:${getEnv().HELPDESK_EMAIL}`}>
            {getEnv().HELPDESK_EMAIL}
          </a>
          .
        </p>
      )}
      {!status.required && (
        <div className="mt-8 flex justify-end">
          <NextStepButton href={onward} label="Skip for now" className={secondaryButton} />
        </div>
      )}
    </>
  );
}
