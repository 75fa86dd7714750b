import { cancelRecoveryOnSignIn } from "./account-recovery";
import { eq } from "drizzle-orm";
import {
  advanceSignInEvent,
  countRecentHighRiskSignIns,
  finishSignInEvent,
  getTransactionRisk,
  HIGH_RISK_SIGN_INS_BEFORE_PASSWORD_CHANGE,
  isRisky,
  lookupOrigin,
  type SignInEventReason,
} from "@/lib/activity/sign-in-events";
import { RISK_REASON_TEXT, type RiskAssessment } from "@/lib/activity/risk";
import { describeLocation } from "@/lib/activity/ip-intel";
import { describeDevice } from "@/lib/activity/user-agent";
import { writeAudit } from "@/lib/audit/log";
import type { Db, Executor } from "@/lib/db/client";
import { users } from "@/lib/db/schema";
import { hashToken } from "@/lib/security/tokens";
import { queueSecurityNotice } from "@/lib/notify/security-notice";
import { useRememberedBrowser } from "@/lib/mfa/remembered-browser";
import { staySignedInOffered } from "@/lib/settings/policy";
import type { RequestContext } from "@/lib/types/request";
import { createSession, revokeSession } from "./sessions";
import {
  advanceSignInTransaction,
  renewSignInTransaction,
  consumeSignInTransaction,
  type SignInStage,
  type SignInTransaction,
} from "./sign-in-transaction";
import type { Result } from "@/lib/types/result";
import type { DirectoryHold } from "@/lib/directory/password";
import { requiredBackupMissing } from "@/lib/mfa/backup";
import { clock } from "@/lib/clock";

// What every way of signing in shares once its first step is passed: the stages, the answer to
// a risky sign-in, the second factor recorded, and the one place a session is created. The ways
// in start elsewhere: password-step.ts, passkey-sign-in.ts, phone-sign-in.ts, step-up.ts.

/** Where the browser goes for each stage still waiting for the person; `ready` finishes at once. */
export const STAGE_PATHS: Record<Exclude<SignInStage, "ready">, string> = {
  second_factor: "/signin/verify",
  registration: "/signin/more-information",
  stay_signed_in: "/signin/stay-signed-in",
};

/**
 * Refused says nothing more — a wrong password, an unknown account and a lock look alike — but
 * for a `notice`: the directory did not answer, or (after the right password only) held the
 * account back.
 */
export type PasswordStepResult = Result<
  { transactionToken: string; stage: SignInStage; persistent: boolean },
  never,
  { notice?: PasswordStepNotice }
>;

/** What a refused password step may say beyond "incorrect". */
export type PasswordStepNotice = "unavailable" | DirectoryHold;

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
 * Recorded on sessions of a sign-in whose person chose "Ask me later" instead of registering a
 * method (docs/decisions/0022): the portal lets that one session in without a method.
 */
export const POSTPONED_AMR = "postponed";

/**
 * Whether a session must set up a method before the portal opens (R-A1.5): judged from the
 * methods as they are now; only the sign-in that postponed registration is let through.
 */
export function mustRegisterBeforePortal(
  session: { methods: readonly string[] },
  mfaRequired: boolean,
  registeredMethods: number,
): boolean {
  return mfaRequired && registeredMethods === 0 && !session.methods.includes(POSTPONED_AMR);
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
  appName?: string,
): Promise<void> {
  const reasons = risk.reasons.map((reason) => RISK_REASON_TEXT[reason]);
  await queueSecurityNotice(
    tx,
    user,
    "sign_in.risky",
    {
      ...context,
      location: describeLocation(origin.intel),
      device: describeDevice(origin.device),
    },
    [appName ? `It was a sign-in to ${appName}.` : "", ...reasons].filter(Boolean).join(" "),
  );
  if (
    risk.level === "high" &&
    (await countRecentHighRiskSignIns(tx, user.id)) >= HIGH_RISK_SIGN_INS_BEFORE_PASSWORD_CHANGE
  ) {
    await tx.update(users).set({ mustChangePassword: true }).where(eq(users.id, user.id));
  }
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
      secondFactorAt: clock.now(),
      persistent: next.persistent,
    });
    if (!moved) return null;
    if (from === "registration") await renewSignInTransaction(tx, transaction.id);
    if (transaction.purpose === "sign_in")
      await advanceSignInEvent(tx, transaction.id, {
        methods,
        registered: from === "registration",
      });
    return next.stage;
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
    // No session while a backup the organisation requires is missing (R-A9.7): the pages send
    // the person to the backup step first; this holds for any caller.
    if (
      transaction.purpose === "sign_in" &&
      transaction.secondFactorAt !== null &&
      (await requiredBackupMissing(tx, transaction.userId))
    ) {
      return null;
    }
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
    // Someone who can still pass an old method has not lost them: a waiting recovery ends here.
    if (transaction.secondFactorAt !== null)
      await cancelRecoveryOnSignIn(tx, transaction.userId, context);
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
