import "server-only";
import { redirect } from "next/navigation";
import { getDb } from "@/lib/db/client";
import { getMethodSummary } from "@/lib/mfa/methods";
import { getRequestContext } from "@/lib/security/request-context";
import { getCurrentSession } from "./current";
import { stepUpMaxAgeMs } from "@/lib/settings/policy";
import { startDefaultSecondStep } from "./second-step";
import type { CurrentSession } from "./sessions";
import { beginStepUp } from "./step-up";
import {
  getSignInTransaction,
  type SignInStage,
  type SignInTransaction,
} from "./sign-in-transaction";
import { readTransactionCookie, setTransactionCookie } from "./transaction-cookie";
import { clock } from "@/lib/clock";

/** This browser's sign-in in progress, if it is at one of `stages`. */
export async function getCurrentTransaction(
  ...stages: SignInStage[]
): Promise<{ token: string; transaction: SignInTransaction } | null> {
  const token = await readTransactionCookie();
  if (!token) return null;
  const transaction = await getSignInTransaction(await getDb(), token);
  if (!transaction || (stages.length > 0 && !stages.includes(transaction.stage))) return null;
  return { token, transaction };
}

/**
 * True when the session's last second factor is recent enough for a security change (R-A9.1).
 * Someone with no method at all can only have proven their password, so that time counts; a
 * method that cannot be used now is still a method (R-A1.5).
 */
export async function isFresh(session: CurrentSession): Promise<boolean> {
  const { registered } = await getMethodSummary(await getDb(), session.user.id);
  const proofAt = registered.length > 0 ? session.secondFactorAt : session.authenticatedAt;
  return proofAt !== null && clock.ms() - proofAt.getTime() <= stepUpMaxAgeMs();
}

/**
 * For security-info server actions: the session if its second factor is fresh; otherwise starts
 * a step-up ("Verify your identity") that returns to `returnTo`, and redirects there.
 */
export async function requireFreshSession(
  returnTo: string,
  options: { fromLink?: boolean } = {},
): Promise<CurrentSession> {
  const session = await getCurrentSession();
  if (!session) redirect(`/signin?callbackUrl=${encodeURIComponent(returnTo)}`);
  if (await isFresh(session)) return session;
  const { registered } = await getMethodSummary(await getDb(), session.user.id);
  // No method at all: prove the password again. With methods that cannot be used now, the
  // step-up's second step says why.
  if (registered.length === 0)
    redirect(`/signin?reauth=1&callbackUrl=${encodeURIComponent(returnTo)}`);
  const context = await getRequestContext();
  const token = await beginStepUp(await getDb(), session, returnTo, context);
  await setTransactionCookie(token);
  // Reached by following a link (a GET), nothing is sent to a phone (R-A17.2).
  redirect(await startDefaultSecondStep(token, context, { send: !options.fromLink }));
}

/**
 * A step-up that asks for a passkey and returns to `returnTo`: for a session that must have been
 * proven with one (the console's passkey rule, an app that needs phishing-resistant proof). Only
 * a route handler may set the step-up's cookie; nothing is sent to anyone.
 */
export async function startPasskeyStepUp(
  session: CurrentSession,
  returnTo: string,
): Promise<never> {
  const token = await beginStepUp(await getDb(), session, returnTo, await getRequestContext());
  await setTransactionCookie(token);
  redirect("/signin/verify?option=passkey");
}
