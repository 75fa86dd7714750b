import { getDb, type Db } from "@/lib/db/client";
import { startPushRequest } from "@/lib/mfa/companion-push";
import { getMethodSummary } from "@/lib/mfa/methods";
import { sendPhoneChallenge } from "@/lib/mfa/phone-challenges";
import type { SignInChoice } from "@/lib/mfa/registry";
import { getUserIdentity } from "./users";
import { getSignInTransaction, type SignInTransaction } from "./sign-in-transaction";
import type { RequestContext } from "@/lib/types/request";

/** The page that asks for one way of passing the second step. */
export function verifyPath(choice: SignInChoice, notice?: "limit" | "dead" | "push-limit"): string {
  const query = new URLSearchParams({ option: choice.option });
  if (choice.methodId) query.set("method", choice.methodId);
  if (notice) query.set("notice", notice);
  return `/signin/verify?${query.toString()}`;
}

/**
 * Starts one way of passing the second step and returns where the browser goes: a text or a call
 * goes out now (within the send limits), bound to this sign-in; other ways need nothing sent.
 * Called only from POSTs (the password step, "Sign in another way", a step-up), never a page GET.
 */
export async function beginSecondStep(
  db: Db,
  transaction: Pick<SignInTransaction, "id" | "userId" | "purpose">,
  choice: SignInChoice,
  context: RequestContext,
): Promise<string> {
  if (choice.option === "push") {
    const user = await getUserIdentity(db, transaction.userId);
    if (!user) return "/signin?error=expired";
    const sent = await startPushRequest(
      db,
      user,
      { userId: transaction.userId, transactionId: transaction.id, purpose: "second_factor" },
      context,
    );
    return verifyPath(choice, sent.ok ? undefined : "push-limit");
  }
  if ((choice.option !== "sms" && choice.option !== "voice") || !choice.methodId) {
    return verifyPath(choice);
  }
  const sent = await sendPhoneChallenge(
    db,
    { id: transaction.userId },
    { userId: transaction.userId, purpose: transaction.purpose, transactionId: transaction.id },
    choice.methodId,
    choice.option,
    context,
  );
  return verifyPath(choice, sent.ok ? undefined : sent.reason === "dead" ? "dead" : "limit");
}

/** After the password or at a step-up: the person's default way, started. */
export async function startDefaultSecondStep(
  transactionToken: string,
  context: RequestContext,
  options: { send?: boolean } = {},
): Promise<string> {
  const db = await getDb();
  const transaction = await getSignInTransaction(db, transactionToken);
  if (!transaction) return "/signin?error=expired";
  const { defaultChoice } = await getMethodSummary(db, transaction.userId);
  if (!defaultChoice) return "/signin/verify";
  // Reached by following a link (a GET), nothing goes out to a phone: the person picks a way.
  if (options.send === false && SENDING_OPTIONS.includes(defaultChoice.option)) {
    return "/signin/verify/another-way";
  }
  return beginSecondStep(db, transaction, defaultChoice, context);
}

/** Ways whose start sends something: a text, a call, a request to a phone. */
const SENDING_OPTIONS: SignInChoice["option"][] = ["sms", "voice", "push"];
