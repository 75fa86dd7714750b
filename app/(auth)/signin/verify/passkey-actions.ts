"use server";

import { getCurrentTransaction } from "@/lib/auth/sign-in-flow";
import { getDb } from "@/lib/db/client";
import { getMethodSummary } from "@/lib/mfa/methods";
import { beginPasskeySecondFactor, type PasskeyRequestOptions } from "@/lib/mfa/passkeys";

type Prepared = { ok: true; options: PasskeyRequestOptions } | { ok: false; message: string };

/**
 * "Use a passkey" at the second step: a challenge for this sign-in (or step-up) only, listing the
 * person's own passkeys. The answer goes to verifyAction, which checks it.
 */
export async function passkeySecondFactorOptionsAction(): Promise<Prepared> {
  const current = await getCurrentTransaction("second_factor");
  if (!current) {
    return { ok: false, message: "Your sign-in took too long. Please sign in again." };
  }
  const db = await getDb();
  const { transaction } = current;
  const summary = await getMethodSummary(db, transaction.userId);
  const options = summary.findChoice("passkey", null)
    ? await beginPasskeySecondFactor(db, {
        userId: transaction.userId,
        transactionId: transaction.id,
      })
    : null;
  return options
    ? { ok: true, options }
    : { ok: false, message: "You have no passkey. Choose another way to sign in." };
}
