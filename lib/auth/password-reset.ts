import { setTimeout as sleep } from "node:timers/promises";
import { and, eq, gt, inArray, isNull, lt, sql } from "drizzle-orm";
import { writeAudit } from "@/lib/audit/log";
import type { Db, Executor } from "@/lib/db/client";
import { mfaMethods, passwordResets, users } from "@/lib/db/schema";
import { databaseNowPlus } from "@/lib/db/time";
import { getDirectoryConfig } from "@/lib/directory/config";
import { directoryRefusalMessage, setDirectoryPassword } from "@/lib/directory/password";
import { getEnv } from "@/lib/env";
import { checkEmailCode, sendCodeToAlternateEmail } from "@/lib/mfa/alternate-email";
import { sendPhoneChallenge } from "@/lib/mfa/phone-challenges";
import { checkSecondFactorAnswer } from "@/lib/mfa/second-factor";
import { queueSecurityNotice } from "@/lib/notify/security-notice";
import { hashPassword } from "@/lib/security/password";
import { hashToken, newToken } from "@/lib/security/tokens";
import { getThrottle, recordFailure, resetThrottle } from "@/lib/security/throttle";
import { passwordResetMethodsNeeded, passwordResetThrottlePolicy } from "@/lib/settings/policy";
import type { RequestContext } from "@/lib/types/request";
import type { Result } from "@/lib/types/result";
import { replacePassword } from "./password-change";
import { checkNewPassword } from "./password-policy";
import { emailMatches } from "./users";

// "Forgot my password" without the helpdesk (R-A2.8): the person proves one or two of their
// sign-in methods, as the administrator set, then chooses a new password. Every email typed gets
// a reset of its own, known or not, and every step answers alike, so the pages never tell
// whether an account exists. The new password is not a sign-in: the person then signs in with it
// and their second factor as always.

/** How long a reset lives, from the email to the new password. */
export const RESET_TTL_MS = 10 * 60_000;
/** Wrong answers after which a reset ends for anyone, before any per-account pause could show. */
export const RESET_ANSWER_LIMIT = 5;
/**
 * The least time an answer takes. Checking a recovery code hashes it against each of the
 * account's unused codes, while an email with no account, or a paused one, checks nothing: without
 * a floor well above that work, how long "That code didn't work" took would tell whether the
 * account exists.
 */
export const RESET_ANSWER_FLOOR_MS = 400;

/**
 * What proves who someone is here: a code from an app or token, a recovery code, a code emailed
 * to the alternate email (docs/decisions/0023), or — once one of those has passed — a code texted
 * to the person's phone. A text is never the first: its sends count against the phone's sign-in
 * allowance (and the organisation's daily budget), so if anyone who knows an email could ask for
 * one, they could use up the owner's texts. After a first proof only the owner can.
 */
export const RESET_OPTIONS = ["code", "recovery-code", "email", "sms"] as const;
export type ResetOption = (typeof RESET_OPTIONS)[number];

/** The options a reset still offers: every one not yet passed, a text only after another. */
export function resetOptionsLeft(reset: Pick<PasswordReset, "verified">): ResetOption[] {
  return RESET_OPTIONS.filter(
    (option) => !reset.verified.includes(option) && (option !== "sms" || reset.verified.length > 0),
  );
}

export type PasswordReset = {
  id: string;
  userId: string | null;
  verified: ResetOption[];
  needed: number;
};

const live = () =>
  and(
    isNull(passwordResets.consumedAt),
    gt(passwordResets.expiresAt, sql`now()`),
    lt(passwordResets.failures, RESET_ANSWER_LIMIT),
  );

/** Starts a reset for an email, whoever it belongs to; returns the token for its cookie. */
export async function beginPasswordReset(
  db: Db,
  email: string,
  context: RequestContext,
): Promise<string> {
  const typed = email.trim().toLowerCase().slice(0, 320);
  const [account] = typed
    ? await db
        .select({ id: users.id })
        .from(users)
        // Helpdesk and admin accounts can change everyone else's: theirs is reset by another
        // administrator, never by proving a method alone.
        .where(and(emailMatches(typed), eq(users.status, "active"), eq(users.role, "user")))
    : [];
  const token = newToken();
  await db.transaction(async (tx) => {
    await tx.insert(passwordResets).values({
      id: hashToken(token),
      userId: account?.id ?? null,
      ip: context.ip,
      userAgent: context.userAgent?.slice(0, 512) ?? null,
      expiresAt: databaseNowPlus(RESET_TTL_MS),
    });
    await writeAudit(tx, {
      action: "auth.password_reset.started",
      outcome: "success",
      actorId: null,
      subjectId: account?.id ?? null,
      ...context,
      details: { email: typed },
    });
  });
  return token;
}

/** The live reset for a cookie token, or null when unknown, expired, finished or ended. */
export async function getPasswordReset(
  db: Executor,
  token: string | undefined,
): Promise<PasswordReset | null> {
  if (!token) return null;
  const [row] = await db
    .select({
      id: passwordResets.id,
      userId: passwordResets.userId,
      verified: passwordResets.verified,
    })
    .from(passwordResets)
    .where(and(eq(passwordResets.id, hashToken(token)), live()));
  if (!row) return null;
  return {
    ...row,
    verified: row.verified.filter((option): option is ResetOption =>
      (RESET_OPTIONS as readonly string[]).includes(option),
    ),
    needed: passwordResetMethodsNeeded(),
  };
}

/**
 * "Send code" for the alternate email: a code goes to the account's verified alternate email, if
 * it has one. Nothing tells whether it did (R-A18.1).
 */
export async function sendPasswordResetEmailCode(
  db: Db,
  reset: PasswordReset,
  context: RequestContext,
): Promise<void> {
  if (!reset.userId || reset.verified.includes("email")) return;
  await sendCodeToAlternateEmail(
    db,
    { userId: reset.userId, purpose: "password_reset", transactionId: reset.id },
    context,
  );
}

const resetBinding = (reset: PasswordReset) =>
  ({ userId: reset.userId ?? "", purpose: "password_reset", transactionId: reset.id }) as const;

export type ResetTextSend = { ok: true } | { ok: false; retryAfterSeconds: number };

/**
 * "Text a code to my phone", offered once another method has passed: a code to the account's
 * phone that takes texts, within the phone's send limits (R-A5.4). The page still says "if": a
 * person may have no such phone.
 */
export async function sendPasswordResetTextCode(
  db: Db,
  reset: PasswordReset,
  context: RequestContext,
): Promise<ResetTextSend> {
  if (!reset.userId || !resetOptionsLeft(reset).includes("sms")) return { ok: true };
  const phone = await phoneOnRecord(db, reset.userId);
  if (!phone) return { ok: true };
  const sent = await sendPhoneChallenge(
    db,
    { id: reset.userId },
    resetBinding(reset),
    phone.id,
    "sms",
    context,
  );
  return sent.ok || sent.reason !== "limit"
    ? { ok: true }
    : { ok: false, retryAfterSeconds: sent.retryAfterSeconds };
}

export type ResetAnswer = Result<{ done: boolean }, "wrong_answer" | "ended">;

/**
 * Checks one answer. Right: the option counts, once, and `done` says whether enough different
 * ones have passed. Wrong, or for an email with no account: counted against the reset, which ends
 * at RESET_ANSWER_LIMIT, and against the account's reset counter, which pauses resets as the
 * second step pauses sign-in (R-A11.1–11.3) but never sign-in itself. While paused, even a right
 * code gets the same answer (R-A11.5).
 */
export async function answerPasswordReset(
  db: Db,
  reset: PasswordReset,
  option: ResetOption,
  input: string,
  context: RequestContext,
): Promise<ResetAnswer> {
  const userId = reset.userId;
  // An email with no account is counted under its reset instead, with the same steps, and every
  // answer takes at least RESET_ANSWER_FLOOR_MS, so the answer takes as long either way.
  const counted = userId ?? reset.id;
  const started = performance.now();
  const answer = await db.transaction(async (tx): Promise<ResetAnswer> => {
    // One answer at a time per person, so a burst cannot outrun the count (R-A11.3).
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`reset:${counted}`}))`);
    const paused = (await getThrottle(tx, "password_reset:account", counted)).locked;
    const binding = resetBinding(reset);
    const right =
      userId !== null &&
      !paused &&
      resetOptionsLeft(reset).includes(option) &&
      (option === "email"
        ? await checkEmailCode(tx, binding, input)
        : await checkSecondFactorAnswer(tx, userId, option, input, {
            binding,
            methodId: option === "sms" ? ((await phoneOnRecord(tx, userId))?.id ?? null) : null,
            request: context,
          }));
    if (right) await resetThrottle(tx, "password_reset:account", counted);
    else if (!paused)
      await recordFailure(tx, "password_reset:account", counted, passwordResetThrottlePolicy());
    await writeAudit(tx, {
      action: right ? "auth.mfa.succeeded" : "auth.mfa.failed",
      outcome: right ? "success" : paused ? "denied" : "failure",
      actorId: userId,
      subjectId: userId,
      ...context,
      details: { option, purpose: "password_reset", ...(paused ? { reason: "paused" } : {}) },
    });
    if (right) {
      const [row] = await tx
        .update(passwordResets)
        .set({ verified: sql`${passwordResets.verified} || ${JSON.stringify([option])}::jsonb` })
        .where(and(eq(passwordResets.id, reset.id), live()))
        .returning({ verified: passwordResets.verified });
      if (!row) return { ok: false, reason: "ended" };
      return { ok: true, done: new Set(row.verified).size >= reset.needed };
    }
    const [row] = await tx
      .update(passwordResets)
      .set({ failures: sql`${passwordResets.failures} + 1` })
      .where(and(eq(passwordResets.id, reset.id), live()))
      .returning({ failures: passwordResets.failures });
    return {
      ok: false,
      reason: !row || row.failures >= RESET_ANSWER_LIMIT ? "ended" : "wrong_answer",
    };
  });
  const left = RESET_ANSWER_FLOOR_MS - (performance.now() - started);
  if (left > 0) await sleep(left);
  return answer;
}

export type ResetCompletion = Result<
  object,
  "not_verified" | "password_refused" | "mismatch" | "directory_unavailable",
  { message: string }
>;

/**
 * Sets the new password once enough methods have passed: the reset is used up, every session and
 * remembered browser of the account ends, and the owner is told by email and text (R-A2.8,
 * R-A15.1). The person then signs in as always; nothing here signs them in.
 */
export async function completePasswordReset(
  db: Db,
  token: string | undefined,
  input: { newPassword: string; confirmPassword: string },
  context: RequestContext,
): Promise<ResetCompletion> {
  const reset = await getPasswordReset(db, token);
  const notVerified = {
    ok: false,
    reason: "not_verified",
    message: "This reset has ended. Start again.",
  } as const;
  if (!reset?.userId || new Set(reset.verified).size < reset.needed || reset.needed === 0)
    return notVerified;
  const [user] = await db
    .select({
      id: users.id,
      email: users.email,
      displayName: users.displayName,
      directoryId: users.directoryId,
    })
    .from(users)
    .where(and(eq(users.id, reset.userId), eq(users.status, "active")));
  if (!user) return notVerified;
  if (input.newPassword !== input.confirmPassword) {
    return { ok: false, reason: "mismatch", message: "The passwords don't match." };
  }
  const policy = checkNewPassword(input.newPassword, {
    name: user.displayName,
    email: user.email,
    orgName: getEnv().ORG_NAME,
  });
  if (!policy.ok) return { ok: false, reason: "password_refused", message: policy.message };
  // A person of the directory: the service account writes it there (the directory cannot join
  // the transaction below), and Factor keeps nothing. Otherwise hashing is slow: done before the
  // transaction so the rows are locked briefly.
  let passwordHash: string | null = null;
  if (user.directoryId) {
    const directory = getDirectoryConfig();
    const written = directory
      ? await setDirectoryPassword(directory, user.directoryId, input.newPassword)
      : ({ ok: false, reason: "unavailable" } as const);
    if (!written.ok) {
      return written.reason === "refused"
        ? {
            ok: false,
            reason: "password_refused",
            message: directoryRefusalMessage(written.message),
          }
        : {
            ok: false,
            reason: "directory_unavailable",
            message: "We can't reach your organisation's directory right now. Try again later.",
          };
    }
  } else {
    passwordHash = await hashPassword(input.newPassword);
  }
  return db.transaction(async (tx) => {
    const [used] = await tx
      .update(passwordResets)
      .set({ consumedAt: sql`now()` })
      .where(and(eq(passwordResets.id, reset.id), live()))
      .returning({ id: passwordResets.id });
    if (!used) return notVerified;
    const ended = await replacePassword(tx, user, passwordHash, {
      mustChange: false,
      signOut: "all",
      reason: "password_reset",
    });
    await writeAudit(tx, {
      action: "auth.password_reset.completed",
      outcome: "success",
      actorId: user.id,
      subjectId: user.id,
      ...context,
      details: {
        methods: reset.verified.join(" "),
        sessionsRevoked: ended.sessionsEnded,
        browsersForgotten: ended.browsersForgotten,
      },
    });
    const smsTo = (await phoneOnRecord(tx, user.id))?.e164;
    await queueSecurityNotice(
      tx,
      user,
      "password.changed",
      context,
      "It was reset from the sign-in page, and every browser and device was signed out.",
      { smsTo },
    );
    return { ok: true };
  });
}

/**
 * The phone a reset texts, its code or its notice: the mobile phone, else the alternate one.
 */
async function phoneOnRecord(
  db: Executor,
  userId: string,
): Promise<{ id: string; e164: string } | null> {
  const phones = await db
    .select({ id: mfaMethods.id, kind: mfaMethods.kind, data: mfaMethods.data })
    .from(mfaMethods)
    .where(
      and(
        eq(mfaMethods.userId, userId),
        eq(mfaMethods.status, "active"),
        inArray(mfaMethods.kind, ["mobile_phone", "alternate_phone"]),
      ),
    );
  const phone = phones.find((p) => p.kind === "mobile_phone") ?? phones[0];
  return phone && typeof phone.data?.e164 === "string"
    ? { id: phone.id, e164: phone.data.e164 }
    : null;
}

/** Deletes resets that ended more than a day ago. */
export async function purgePasswordResets(db: Executor): Promise<void> {
  await db
    .delete(passwordResets)
    .where(lt(passwordResets.expiresAt, sql`now() - interval '1 day'`));
}
