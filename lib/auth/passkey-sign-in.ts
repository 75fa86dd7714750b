import type { RequestContext } from "@/lib/types/request";
import { eq } from "drizzle-orm";
import { assessSignInRisk } from "@/lib/activity/risk";
import { isRisky, lookupOrigin, recordSignInEvent } from "@/lib/activity/sign-in-events";
import { writeAudit } from "@/lib/audit/log";
import type { Db, Executor } from "@/lib/db/client";
import { users } from "@/lib/db/schema";
import { verifyPasswordlessPasskey } from "@/lib/mfa/passkeys";
import { findRememberedBrowser } from "@/lib/mfa/remembered-browser";
import { hashToken } from "@/lib/security/tokens";
import {
  PENDING_REASON,
  respondToRisk,
  stageAfterFactors,
  type BrowserState,
  type PasswordStepResult,
} from "./sign-in";
import { advanceSignInTransaction, beginSignInTransaction } from "./sign-in-transaction";
import { clock } from "@/lib/clock";

/**
 * Signs in with a passkey alone ("Sign in with a passkey"). A passkey used with user verification
 * is both factors — the key the device holds and the PIN or biometric that unlocks it — and is
 * phishing-resistant, so the sign-in transaction starts with its second factor recorded (methods:
 * "hwk" or "swk", and "user") and goes on to "Stay signed in?" like any other (R-A7.2). An answer
 * that does not hold and a disabled account both give `{ ok: false }`, recorded as failures.
 */
export async function signInWithPasskey(
  db: Db,
  input: { response: string; callbackPath: string },
  context: RequestContext,
  browser: BrowserState = { stayChoice: null },
): Promise<PasswordStepResult> {
  const origin = await lookupOrigin(context);
  const refuse = async (tx: Executor, userId: string | null, reason: string) => {
    await writeAudit(tx, {
      action: "auth.sign_in.failed",
      outcome: "failure",
      subjectId: userId,
      ip: context.ip,
      userAgent: context.userAgent,
      details: { reason, method: "passkey" },
    });
    if (userId) {
      const event = reason === "account_disabled" ? "account_disabled" : "mfa_failed";
      await recordSignInEvent(
        tx,
        { userId, result: "failure", reason: event, methods: ["hwk"], origin },
        context,
      );
    }
  };
  const assertion = await db.transaction(async (tx) => {
    const result = await verifyPasswordlessPasskey(tx, input.response, context);
    if (!result.ok) await refuse(tx, result.userId, `passkey_${result.reason}`);
    return result;
  });
  if (!assertion.ok) return { ok: false };
  const [user] = await db
    .select({
      id: users.id,
      email: users.email,
      displayName: users.displayName,
      status: users.status,
    })
    .from(users)
    .where(eq(users.id, assertion.userId));
  if (!user || user.status !== "active") {
    await db.transaction((tx) => refuse(tx, assertion.userId, "account_disabled"));
    return { ok: false };
  }

  const [risk, rememberedBrowserId] = await Promise.all([
    assessSignInRisk(db, { userId: user.id, at: clock.now(), intel: origin.intel }),
    findRememberedBrowser(db, user.id, browser.rememberedToken),
  ]);
  const next = stageAfterFactors(browser, isRisky(risk.level));
  const methods = [assertion.amr, "user"];
  const transactionToken = await db.transaction(async (tx) => {
    const token = await beginSignInTransaction(tx, {
      userId: user.id,
      purpose: "sign_in",
      stage: "second_factor",
      methods: [],
      rememberedBrowserId,
      callbackPath: input.callbackPath,
      ip: context.ip,
      userAgent: context.userAgent,
    });
    const transactionId = hashToken(token);
    // Both factors at once: the transaction moves past the second factor in the same commit.
    await advanceSignInTransaction(tx, transactionId, "second_factor", next.stage, {
      methods,
      secondFactorAt: clock.now(),
      persistent: next.persistent,
    });
    await writeAudit(tx, {
      action: "auth.mfa.succeeded",
      outcome: "success",
      actorId: user.id,
      subjectId: user.id,
      ip: context.ip,
      userAgent: context.userAgent,
      details: { option: "passkey", purpose: "passwordless", methodId: assertion.methodId },
    });
    await recordSignInEvent(
      tx,
      {
        userId: user.id,
        result: "interrupted",
        reason: PENDING_REASON[next.stage],
        methods,
        transactionId,
        risk,
        origin,
      },
      context,
    );
    if (isRisky(risk.level)) await respondToRisk(tx, user, risk, context, origin);
    return token;
  });
  return { ok: true, transactionToken, stage: next.stage, persistent: next.persistent };
}
