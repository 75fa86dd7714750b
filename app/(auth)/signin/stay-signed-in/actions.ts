"use server";

import { redirect } from "next/navigation";
import { rememberStayChoice } from "@/lib/auth/browser-cookies";
import { finishSignIn } from "@/lib/auth/next-auth";
import { answerStaySignedIn } from "@/lib/auth/sign-in";
import { getSignInTransaction } from "@/lib/auth/sign-in-transaction";
import { readTransactionCookie } from "@/lib/auth/transaction-cookie";
import { getDb } from "@/lib/db/client";

/** "Stay signed in?" — Yes or No, optionally remembered. */
export async function staySignedInAction(formData: FormData): Promise<void> {
  const db = await getDb();
  const token = await readTransactionCookie();
  const transaction = await getSignInTransaction(db, token);
  if (!token || transaction?.stage !== "stay_signed_in") redirect("/signin?error=expired");
  const answer = formData.get("answer");
  if (answer !== "yes" && answer !== "no") redirect("/signin/stay-signed-in");
  const staySignedIn = answer === "yes";
  if (!(await answerStaySignedIn(db, transaction, staySignedIn))) redirect("/signin?error=expired");
  if (formData.get("dontShowAgain") === "on") await rememberStayChoice(staySignedIn);
  return finishSignIn(token, transaction.callbackPath, staySignedIn);
}
