import { eq } from "drizzle-orm";
import {
  advanceSignInEvent,
  countRecentHighRiskSignIns,
  finishSignInEvent,
  getTransactionRisk,
  HIGH_RISK_SIGN_INS_BEFORE_PASSWORD_CHANGE,
  isRisky,
  lookupOrigin,
  recordSignInEvent,
  type NewSignInEvent,
  type SignInEventReason,
} from "@/lib/activity/sign-in-events";
import { assessSignInRisk, RISK_REASON_TEXT, type RiskAssessment } from "@/lib/activity/risk";
import { describeLocation } from "@/lib/activity/ip-intel";
import { describeDevice } from "@/lib/activity/user-agent";
import { writeAudit } from "@/lib/audit/log";
import type { Db, Executor } from "@/lib/db/client";
import { users } from "@/lib/db/schema";
import { getSecrets } from "@/lib/env";
import { fingerprint, hashToken } from "@/lib/security/tokens";
import { getThrottle, recordFailure, resetThrottle } from "@/lib/security/throttle";
import {
  hashPassword,
  needsRehash,
  verifyAgainstDummy,
  verifyPassword,
} from "@/lib/security/password";
import { getMethodSummary } from "@/lib/mfa/methods";
import { queueSecurityNotice } from "@/lib/notify/security-notice";
import { verifyPasswordlessPasskey } from "@/lib/mfa/passkeys";
import { findRememberedBrowser, useRememberedBrowser } from "@/lib/mfa/remembered-browser";
import {
  mfaRequiredFor,
  passwordThrottlePolicies,
  rememberMfaDays,
  staySignedInOffered,
} from "@/lib/settings/policy";
import { createSession, revokeSession } from "./sessions";
import {
  advanceSignInTransaction,
  beginSignInTransaction,
  consumeSignInTransaction,
  type SignInStage,
  type SignInTransaction,
} from "./sign-in-transaction";
import { emailMatches } from "./users";
import type { RequestContext } from "@/lib/types/request";

/** Where the browser goes for each stage still waiting for the person; `ready` finishes at once. */
export const STAGE_PATHS: Record<Exclude<SignInStage, "ready">, string> = {
  second_factor: "/signin/verify",
  registration: "/signin/more-information",
  stay_signed_in: "/signin/stay-signed-in",
};

export type PasswordStepResult =
  { ok: false } | { ok: true; transactionToken: string; stage: SignInStage; persistent: boolean };

/** What this browser remembers: the "Stay signed in?" answer and a "Don't ask again" token. */
export type BrowserState = { stayChoice: boolean | null; rememberedToken?: string };

/**
 * After every factor: ask "Stay signed in?" unless this browser already answered it for good. A
 * risky sign-in is never offered it and never persistent (R-A14.6).
 */
export function stageAfterFactors(
  browser: BrowserState,
  risky: boolean,
): { stage: SignInStage; persistent: boolean } {
  if (risky) return { stage: "ready", persistent: false };
  if (staySignedInOffered() && browser.stayChoice === null)
    return { stage: "stay_signed_in", persistent: false };
  return { stage: "ready", persistent: browser.stayChoice === true };
}

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

/** The pending event of a sign-in says how far it got, in case it is never finished. */
export const PENDING_REASON: Record<SignInStage, SignInEventReason> = {
  second_factor: "mfa_abandoned",
  registration: "registration_abandoned",
  stay_signed_in: "not_finished",
  ready: "not_finished",
};

/** Recorded on sessions whose second factor was a remembered browser ("Don't ask again"). */
export const REMEMBERED_BROWSER_AMR = "remembered";

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

/**
 * A risky sign-in with the right password: the person is told (R-A15.1), and after
 * HIGH_RISK_SIGN_INS_BEFORE_PASSWORD_CHANGE high-risk ones in 30 days their password must be
 * changed — the password is then likely known to someone else.
 */
export async function respondToRisk(
  tx: Executor,
  user: { id: string; email: string; displayName: string },
  risk: RiskAssessment,
  context: RequestContext,
  origin: Awaited<ReturnType<typeof lookupOrigin>>,
): Promise<void> {
  await queueSecurityNotice(
    tx,
    user,
    "sign_in.risky",
    {
      ...context,
      location: describeLocation(origin.intel),
      device: describeDevice(origin.device),
    },
    risk.reasons.map((reason) => RISK_REASON_TEXT[reason]).join(" "),
  );
  if (
    risk.level === "high" &&
    (await countRecentHighRiskSignIns(tx, user.id)) >= HIGH_RISK_SIGN_INS_BEFORE_PASSWORD_CHANGE
  ) {
    await tx.update(users).set({ mustChangePassword: true }).where(eq(users.id, user.id));
  }
}

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
    assessSignInRisk(db, { userId: user.id, at: new Date(), intel: origin.intel }),
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
      secondFactorAt: new Date(),
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

/** "Stay signed in?" answered: the sign-in is ready, persistent or not. */
export async function answerStaySignedIn(
  db: Executor,
  transaction: SignInTransaction,
  staySignedIn: boolean,
): Promise<boolean> {
  return advanceSignInTransaction(db, transaction.id, "stay_signed_in", "ready", {
    persistent: staySignedIn,
  });
}

/**
 * Records a passed second factor (or a method just registered and used, R-A9.2) on the
 * transaction and moves it on. A step-up goes straight to ready.
 */
export async function recordSecondFactor(
  db: Executor,
  transaction: SignInTransaction,
  from: "second_factor" | "registration",
  amr: string,
  browser: BrowserState,
): Promise<SignInStage | null> {
  const next =
    transaction.purpose === "step_up"
      ? { stage: "ready" as const, persistent: transaction.persistent }
      : stageAfterFactors(browser, isRisky(await getTransactionRisk(db, transaction.id)));
  const methods = [...new Set([...transaction.methods, amr])];
  return db.transaction(async (tx) => {
    const moved = await advanceSignInTransaction(tx, transaction.id, from, next.stage, {
      methods,
      secondFactorAt: new Date(),
      persistent: next.persistent,
    });
    if (!moved) return null;
    if (transaction.purpose === "sign_in")
      await advanceSignInEvent(tx, transaction.id, {
        methods,
        registered: from === "registration",
      });
    return next.stage;
  });
}

/** Starts a step-up for a signed-in session: a fresh second factor that will replace it. */
export async function beginStepUp(
  db: Executor,
  session: { id: string; persistent: boolean; user: { id: string } },
  returnTo: string,
  context: RequestContext,
): Promise<string> {
  return beginSignInTransaction(db, {
    userId: session.user.id,
    purpose: "step_up",
    stage: "second_factor",
    methods: ["pwd"],
    persistent: session.persistent,
    replacesSessionId: session.id,
    callbackPath: returnTo,
    ip: context.ip,
    userAgent: context.userAgent,
  });
}

/**
 * Turns a ready transaction into a session — the only place a session is created. Consuming the
 * transaction and creating the session and its audit record happen in one database transaction.
 * Returns the new session's token, or null if the transaction was not ready.
 */
export async function completeSignIn(
  db: Db,
  transactionToken: string,
  context: RequestContext,
): Promise<string | null> {
  const origin = await lookupOrigin(context);
  return db.transaction(async (tx) => {
    const transaction = await consumeSignInTransaction(tx, transactionToken);
    if (!transaction) return null;
    const [user] = await tx
      .select({ status: users.status })
      .from(users)
      .where(eq(users.id, transaction.userId));
    if (!user || user.status !== "active") return null;
    const persistent = transaction.persistent;
    // A step-up issues a new session id and ends the old one (R-A12.3), keeping its limits.
    const replaced = transaction.replacesSessionId
      ? await revokeSession(tx, transaction.replacesSessionId, "stepped_up")
      : undefined;
    if (replaced === null) return null;
    // A step-up's session stays linked to the browser of the one it replaces.
    const rememberedBrowserId = replaced
      ? replaced.rememberedBrowserId
      : transaction.rememberedBrowserId;
    // The remembered browser stands in for the second factor only while it is remembered: one
    // forgotten after the password step cannot finish the sign-in.
    const skippedByBrowser =
      transaction.secondFactorAt === null && transaction.methods.includes(REMEMBERED_BROWSER_AMR);
    if (
      skippedByBrowser &&
      !(
        rememberedBrowserId &&
        (await useRememberedBrowser(tx, transaction.userId, rememberedBrowserId))
      )
    ) {
      return null;
    }
    const twoFactors = transaction.secondFactorAt !== null || skippedByBrowser;
    const sessionToken = await createSession(tx, {
      userId: transaction.userId,
      aal: twoFactors ? 2 : 1,
      methods: transaction.methods,
      authenticatedAt: replaced?.authenticatedAt ?? transaction.createdAt,
      absoluteExpiresAt: replaced?.absoluteExpiresAt,
      secondFactorAt: transaction.secondFactorAt,
      persistent,
      ip: context.ip,
      userAgent: context.userAgent,
      rememberedBrowserId,
    });
    await writeAudit(tx, {
      action:
        transaction.purpose === "step_up" ? "auth.step_up.succeeded" : "auth.sign_in.succeeded",
      outcome: "success",
      subjectId: transaction.userId,
      actorId: transaction.userId,
      ip: context.ip,
      userAgent: context.userAgent,
      details: { methods: transaction.methods.join(" "), persistent },
    });
    await finishSignInEvent(
      tx,
      {
        userId: transaction.userId,
        transactionId: transaction.id,
        purpose: transaction.purpose,
        sessionId: hashToken(sessionToken),
        methods: transaction.methods,
        origin,
      },
      context,
    );
    return sessionToken;
  });
}
