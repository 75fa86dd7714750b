"use server";

import { redirect } from "next/navigation";
import { finishSignIn } from "@/lib/auth/next-auth";
import { postponeRegistration } from "@/lib/auth/registration-grace";
import { STAGE_PATHS } from "@/lib/auth/sign-in";
import { getSignInTransaction } from "@/lib/auth/sign-in-transaction";
import { readTransactionCookie } from "@/lib/auth/transaction-cookie";
import { getDb } from "@/lib/db/client";
import { getRequestContext } from "@/lib/security/request-context";

/**
 * "Ask me later": the sign-in goes on without a method when the organisation's grace period
 * still allows it for this person and this sign-in — decided here again, never from the page.
 * Otherwise the page is shown again, now without the button.
 */
export async function askMeLaterAction(): Promise<void> {
  const db = await getDb();
  const token = await readTransactionCookie();
  const transaction = await getSignInTransaction(db, token);
  if (!token || transaction?.stage !== "registration") redirect("/signin?error=expired");
  const next = await postponeRegistration(db, transaction, await getRequestContext());
  if (!next) redirect("/signin/more-information");
  if (next.stage === "ready") return finishSignIn(token, transaction.callbackPath, next.persistent);
  redirect(STAGE_PATHS[next.stage]);
}
