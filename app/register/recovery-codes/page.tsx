import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { NextStepButton } from "@/components/forms/next-step-button";
import { RecoveryCodesPanel } from "@/components/mfa/recovery-codes-panel";
import { getRegistrant } from "@/lib/auth/registrant";
import { getDb } from "@/lib/db/client";
import { getMethodSummary } from "@/lib/mfa/methods";
import { createRecoveryCodesAction } from "../actions";
import { requireBackupWhenDue } from "../enrolment";

export const metadata: Metadata = { title: "Save your recovery codes" };

/** The wizard's last step before "Success!": recovery codes, shown once (R-A8.1, R-A9.7). */
export default async function RecoveryCodesStepPage() {
  const registrant = await getRegistrant();
  if (!registrant) redirect("/signin");
  const summary = await getMethodSummary(await getDb(), registrant.user.id);
  if (!summary.defaultMethod) redirect("/register");
  await requireBackupWhenDue(registrant);
  // Codes made earlier stay valid; replacing them is Security info's "Regenerate recovery codes".
  if (summary.recoveryCodesLeft > 0) redirect("/register/success");
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">Save your recovery codes</h1>
      <p className="mb-3">
        If you ever lose every device you sign in with, a recovery code still lets you in. Each code
        works once.
      </p>
      <p className="mb-6">
        Create them now, then download or print them and keep them somewhere safe, away from your
        phone. You can also create new ones later in Security info.
      </p>
      <div className="mb-8">
        <RecoveryCodesPanel
          action={createRecoveryCodesAction}
          buttonLabel="Create recovery codes"
        />
      </div>
      <div className="flex justify-end">
        <NextStepButton href="/register/success" />
      </div>
    </>
  );
}
