"use server";

import { redirect } from "next/navigation";
import type { ActionState } from "@/lib/actions/form-action";
import { readBrowserState } from "@/lib/auth/browser-cookies";
import { finishSignIn } from "@/lib/auth/next-auth";
import { finishPhoneSignIn, resendPhoneSignIn } from "@/lib/auth/phone-sign-in";
import { STAGE_PATHS } from "@/lib/auth/sign-in";
import { getSignInTransaction } from "@/lib/auth/sign-in-transaction";
import { setTransactionCookie } from "@/lib/auth/transaction-cookie";
import { getDb } from "@/lib/db/client";
import { getRequestContext } from "@/lib/security/request-context";
import {
  clearPhoneTicketCookie,
  readPhoneTicketCookie,
  setPhoneTicketCookie,
} from "./ticket-cookie";

/**
 * The phone approved: the server checks the approval again, for this browser's own request, and
 * the sign-in goes on to "Stay signed in?" (lib/auth/phone-sign-in.ts).
 */
export async function finishPhoneSignInAction(
  _previous: ActionState,
  formData: FormData,
): Promise<ActionState> {
  const requestId = formData.get("request");
  const db = await getDb();
  const result = await finishPhoneSignIn(
    db,
    await readPhoneTicketCookie(),
    typeof requestId === "string" ? requestId : "",
    await getRequestContext(),
    await readBrowserState(),
  );
  if (!result.ok) {
    return {
      status: "error",
      message: "This sign-in can't be finished. Start again from the sign-in page.",
    };
  }
  await clearPhoneTicketCookie();
  if (result.stage === "ready") {
    const transaction = await getSignInTransaction(db, result.transactionToken);
    return finishSignIn(
      result.transactionToken,
      transaction?.callbackPath ?? "/",
      result.persistent,
    );
  }
  await setTransactionCookie(result.transactionToken);
  redirect(STAGE_PATHS[result.stage]);
}

/** "Send another request" for the same email (the same answer whatever the email, R-A18.1). */
export async function resendPhoneSignInAction(): Promise<void> {
  const ticket = await resendPhoneSignIn(
    await getDb(),
    await readPhoneTicketCookie(),
    await getRequestContext(),
  );
  if (!ticket) redirect("/signin?error=expired");
  await setPhoneTicketCookie(ticket);
  redirect("/signin/phone");
}
