import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { RecoveryCodesPanel } from "@/components/mfa/recovery-codes-panel";
import { primaryButton } from "@/components/ui/button-styles";
import { getRegistrant } from "@/lib/auth/registrant";
import { getDb } from "@/lib/db/client";
import { getMethodSummary } from "@/lib/mfa/methods";
import { defaultMethodName } from "@/lib/mfa/registry";
import { createRecoveryCodesAction, finishRegistrationAction } from "../actions";
import { requireBackupWhenDue } from "../enrolment";

export const metadata: Metadata = { title: "Success!" };

export default async function SuccessPage() {
  const registrant = await getRegistrant();
  if (!registrant) redirect("/signin");
  const summary = await getMethodSummary(await getDb(), registrant.user.id);
  if (!summary.defaultMethod) redirect("/register");
  await requireBackupWhenDue(registrant);
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">Success!</h1>
      <p className="mb-4">Great job! You have set up your security info.</p>
      <p className="mb-6">
        Default sign-in method: <strong>{defaultMethodName(summary.defaultMethod)}</strong>
      </p>
      {/* Mid-sign-in, recovery codes had their own step just before. */}
      {registrant.via === "session" && summary.recoveryCodesLeft === 0 && (
        <div className="mb-6 space-y-2">
          <p>
            Recommended: create recovery codes, so you can still sign in if you lose your phone.
          </p>
          <RecoveryCodesPanel
            action={createRecoveryCodesAction}
            buttonLabel="Create recovery codes"
          />
        </div>
      )}
      <form action={finishRegistrationAction} className="flex justify-end">
        <button type="submit" className={primaryButton}>
          Done
        </button>
      </form>
    </>
  );
}
