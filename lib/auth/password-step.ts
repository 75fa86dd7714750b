import { eq } from "drizzle-orm";
import { assessSignInRisk } from "@/lib/activity/risk";
import {
  isRisky,
  lookupOrigin,
  recordSignInEvent,
  type NewSignInEvent,
  type SignInEventReason,
} from "@/lib/activity/sign-in-events";
import { writeAudit } from "@/lib/audit/log";
import type { Db, Executor } from "@/lib/db/client";
import { users } from "@/lib/db/schema";
import { getSecrets } from "@/lib/env";
import { getMethodSummary } from "@/lib/mfa/methods";
import { findRememberedBrowser } from "@/lib/mfa/remembered-browser";
import { queueSecurityNotice } from "@/lib/notify/security-notice";
import { getThrottle, recordFailure, resetThrottle } from "@/lib/security/throttle";
import { fingerprint, hashToken } from "@/lib/security/tokens";
import { hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from "./password";
import { mfaRequiredFor, passwordThrottlePolicies, rememberMfaDays } from "./policy";
import {
  PENDING_REASON,
  REMEMBERED_BROWSER_AMR,
  respondToRisk,
  stageAfterFactors,
  type BrowserState,
  type PasswordStepResult,
  type RequestContext,
} from "./sign-in";
import { beginSignInTransaction, type SignInStage } from "./sign-in-transaction";
import { emailMatches } from "./users";

/**
 * The stage after the password, from the user's methods as they are now (R-A1.5): the second
 * factor when they have any method (unless this browser is remembered and the sign-in is not
 * risky, R-A1.8), registration when MFA is required and they have none. A method that cannot be
 * used now (a phone while texts cannot be delivered) still means a second factor is needed: the
 * second step then tells the person why they cannot go on.
 */
async function planAfterPassword(
  db: Executor,
  user: { id: string; mfaRequired: boolean },
  browser: BrowserState,
  risky: boolean,
): Promise<{
  stage: SignInStage;
  persistent: boolean;
  methods: string[];
  rememberedBrowserId: string | null;
}> {
  const [{ registered, methods }, rememberedBrowserId] = await Promise.all([
    getMethodSummary(db, user.id),
    findRememberedBrowser(db, user.id, browser.rememberedToken),
  ]);
  const plan = (next: { stage: SignInStage; persistent: boolean }, amr: string[]) => ({
    ...next,
    methods: amr,
    rememberedBrowserId,
  });
  if (registered.length > 0) {
    // A remembered browser stands in for a usable method only: it cannot revive one that policy
    // now keeps out (a phone for an agent, texts that cannot be delivered).
    if (methods.length > 0 && !risky && rememberMfaDays() > 0 && rememberedBrowserId) {
      return plan(stageAfterFactors(browser, risky), ["pwd", REMEMBERED_BROWSER_AMR]);
    }
    return plan({ stage: "second_factor", persistent: false }, ["pwd"]);
  }
  if (mfaRequiredFor(user)) return plan({ stage: "registration", persistent: false }, ["pwd"]);
  return plan(stageAfterFactors(browser, risky), ["pwd"]);
}

/**
 * The password step (first factor). Unknown account, wrong password, disabled account and a
 * locked step all give the same `{ ok: false }` after the same amount of hashing work (R-A18.1,
 * R-A11.5); the difference is only in the audit log.
 */
export async function verifyPasswordStep(
  db: Db,
  input: { email: string; password: string; callbackPath: string },
  context: RequestContext,
  browser: BrowserState = { stayChoice: null },
): Promise<PasswordStepResult> {
  const email = input.email.trim().toLowerCase();
  const ipKey = context.ip ?? "unknown";
  const policies = passwordThrottlePolicies();

  const [[user], accountThrottle, ipThrottle, origin] = await Promise.all([
    db
      .select({
        id: users.id,
        email: users.email,
        displayName: users.displayName,
        status: users.status,
        passwordHash: users.passwordHash,
        mfaRequired: users.mfaRequired,
      })
      .from(users)
      .where(emailMatches(email)),
    getThrottle(db, "password:account", email),
    getThrottle(db, "password:ip", ipKey),
    lookupOrigin(context),
  ]);

  const audit = { subjectId: user?.id ?? null, ip: context.ip, userAgent: context.userAgent };
  // Every attempt is a sign-in event, written with its outcome (R-A14.1); an unknown email has
  // no user and is kept only for the password-spray rule.
  const failureEvent = (reason: SignInEventReason): NewSignInEvent => ({
    userId: user?.id ?? null,
    result: "failure",
    reason,
    methods: ["pwd"],
    origin,
  });

  const refuseLocked = async (accountLocked: boolean): Promise<PasswordStepResult> => {
    await db.transaction(async (tx) => {
      await writeAudit(tx, {
        action: "auth.sign_in.failed",
        outcome: "denied",
        ...audit,
        details: { reason: accountLocked ? "account_locked" : "address_locked", email },
      });
      await recordSignInEvent(tx, failureEvent("locked"), context);
    });
    return { ok: false };
  };

  if (accountThrottle.locked || ipThrottle.locked) {
    await verifyAgainstDummy(input.password);
    return refuseLocked(accountThrottle.locked);
  }

  const passwordOk = user?.passwordHash
    ? await verifyPassword(user.passwordHash, input.password)
    : await verifyAgainstDummy(input.password);

  if (!user || !passwordOk || user.status !== "active") {
    const reason = !user ? "unknown_account" : !passwordOk ? "wrong_password" : "account_disabled";
    const secret = fingerprint(getSecrets().authSecret, "password", email, input.password);
    await db.transaction(async (tx) => {
      const account = await recordFailure(tx, "password:account", email, policies.account, {
        fingerprint: secret,
      });
      const address = await recordFailure(tx, "password:ip", ipKey, policies.ip, {
        fingerprint: secret,
      });
      await writeAudit(tx, {
        action: "auth.sign_in.failed",
        outcome: "failure",
        ...audit,
        details: { reason, email, failures: account.failures },
      });
      await recordSignInEvent(tx, failureEvent(reason), context);
      if (account.lockStarted || address.lockStarted) {
        await writeAudit(tx, {
          action: "auth.sign_in.locked_out",
          outcome: "denied",
          ...audit,
          details: {
            scope: account.lockStarted ? "account" : "address",
            email,
            until: (account.lockStarted ? account.lockedUntil : address.lockedUntil)!.toISOString(),
          },
        });
      }
      // The lock is told only out of band, to the account's owner (R-A11.5, R-A15.1).
      if (account.lockStarted && user) {
        await queueSecurityNotice(tx, user, "password.locked", context);
      }
    });
    return { ok: false };
  }

  // Risk is judged once the password is right; it may add friction, never remove a factor
  // (R-A14.6, R-A1.8). The sign-in's event carries it to the later steps.
  const risk = await assessSignInRisk(db, { userId: user.id, at: new Date(), intel: origin.intel });
  const plan = await planAfterPassword(db, user, browser, isRisky(risk.level));
  const rehash = needsRehash(user.passwordHash!) ? await hashPassword(input.password) : null;
  const transactionToken = await db.transaction(async (tx) => {
    // Guesses sent together all passed the check above before any of them was counted: one that
    // finishes hashing after the pause began must not get in, right or not (R-A11.3, R-A11.5).
    const accountNow = await getThrottle(tx, "password:account", email);
    const addressNow = await getThrottle(tx, "password:ip", ipKey);
    if (accountNow.locked || addressNow.locked) return { accountLocked: accountNow.locked };
    await resetThrottle(tx, "password:account", email);
    if (rehash) await tx.update(users).set({ passwordHash: rehash }).where(eq(users.id, user.id));
    const token = await beginSignInTransaction(tx, {
      userId: user.id,
      purpose: "sign_in",
      stage: plan.stage,
      methods: plan.methods,
      persistent: plan.persistent,
      rememberedBrowserId: plan.rememberedBrowserId,
      callbackPath: input.callbackPath,
      ip: context.ip,
      userAgent: context.userAgent,
    });
    // Recorded as interrupted until the sign-in finishes, so an abandoned one stays visible.
    await recordSignInEvent(
      tx,
      {
        userId: user.id,
        result: "interrupted",
        reason: PENDING_REASON[plan.stage],
        methods: plan.methods,
        transactionId: hashToken(token),
        risk,
        origin,
      },
      context,
    );
    if (isRisky(risk.level)) await respondToRisk(tx, user, risk, context, origin);
    return token;
  });
  if (typeof transactionToken !== "string") return refuseLocked(transactionToken.accountLocked);
  return { ok: true, transactionToken, stage: plan.stage, persistent: plan.persistent };
}
