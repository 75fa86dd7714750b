import { and, desc, eq, gt, inArray, lte, sql } from "drizzle-orm";
import { writeAudit } from "@/lib/audit/log";
import { clock } from "@/lib/clock";
import type { Db, Executor } from "@/lib/db/client";
import { accountRecoveries, mfaMethods, users } from "@/lib/db/schema";
import { databaseNowPlus } from "@/lib/db/time";
import { getEnv } from "@/lib/env";
import {
  checkEmailCode,
  getAlternateEmail,
  sendCodeToAlternateEmail,
} from "@/lib/mfa/alternate-email";
import { findFormerNumber } from "@/lib/mfa/former-phone-numbers";
import { checkTextCode, textFormerNumber } from "@/lib/mfa/phone-challenges";
import { parsePhone } from "@/lib/mfa/phone-numbers";
import { forgetBrowsers } from "@/lib/mfa/remembered-browser";
import { removeEveryMethod } from "@/lib/mfa/reset-methods";
import { renderEmail } from "@/lib/notify/email";
import { queueMessage } from "@/lib/notify/outbox";
import { queueSecurityNotice } from "@/lib/notify/security-notice";
import { getThrottle, recordFailure, resetThrottle } from "@/lib/security/throttle";
import { hashToken, newToken } from "@/lib/security/tokens";
import {
  accountRecoveryWaitMs,
  mfaAccountThrottlePolicy,
  mfaThrottlePolicy,
} from "@/lib/settings/policy";
import type { RequestContext } from "@/lib/types/request";
import type { Result } from "@/lib/types/result";
import { checkPassword } from "./password-gate";
import { endSignInsInProgress, revokeUserSessions } from "./sessions";

// "Lost every method?" without the helpdesk (docs/decisions/0023). Two independent proofs — the
// password, and a code emailed to an alternate email verified at least 7 days before or texted to
// a number that was one of the person's phones for at least 7 days — start a waiting period that
// every channel is told about, each with a cancel link. Any sign-in with an old method during the
// wait cancels it; after the wait, the next sign-in with the password alone removes the old
// methods and goes straight to registration. An attacker holding the password only never gets
// the code; one holding the inbox or the old number only never passes the password; one holding
// both still waits in plain sight of the owner.

/**
 * How long the second channel must have been the person's: an address or phone a thief added
 * yesterday proves nothing.
 */
export const RECOVERY_CHANNEL_MIN_AGE_MS = 7 * 24 * 3600_000;
/** How long the code step of a recovery may take. */
export const RECOVERY_PROOF_TTL_MS = 10 * 60_000;

export type RecoveryStatus = "proving" | "waiting" | "cancelled" | "completed";

export type RecoveryStart = Result<{ token: string }>;

/**
 * "Recover your account" → "Next": checks the password through the password gate (its throttles,
 * its uniform refusals, R-A11, R-A18.1). Right: a recovery in its code step, and a code emailed
 * to the alternate email when it was verified at least RECOVERY_CHANNEL_MIN_AGE_MS ago; the page
 * says "if" either way. Helpdesk and admin accounts are recovered by another administrator only.
 */
export async function startAccountRecovery(
  db: Db,
  input: { email: string; password: string },
  context: RequestContext,
): Promise<RecoveryStart> {
  const checked = await checkPassword(db, {
    account: { email: input.email },
    password: input.password,
    context,
    purpose: "account_recovery",
    complete: async (tx, { user }) => {
      const token = newToken();
      const [row] = await tx
        .insert(accountRecoveries)
        .values({
          userId: user.id,
          status: "proving",
          proofTokenHash: hashToken(token),
          proofExpiresAt: databaseNowPlus(RECOVERY_PROOF_TTL_MS),
          ip: context.ip,
          userAgent: context.userAgent?.slice(0, 512) ?? null,
        })
        .returning({ id: accountRecoveries.id });
      await writeAudit(tx, {
        action: "auth.account_recovery.started",
        outcome: "success",
        actorId: user.id,
        subjectId: user.id,
        ...context,
      });
      return { token, recoveryId: row!.id };
    },
  });
  if (!checked.ok) return { ok: false };
  const [account] = await db
    .select({ role: users.role })
    .from(users)
    .where(eq(users.id, checked.user.id));
  if (account?.role === "user") {
    await sendCodeToAlternateEmail(
      db,
      recoveryBinding({ id: checked.value.recoveryId, userId: checked.user.id }),
      context,
      new Date(clock.ms() - RECOVERY_CHANNEL_MIN_AGE_MS),
    );
  }
  return { ok: true, token: checked.value.token };
}

type ProofRow = { id: string; userId: string };

async function getProof(db: Executor, token: string | undefined): Promise<ProofRow | null> {
  if (!token) return null;
  const [row] = await db
    .select({ id: accountRecoveries.id, userId: accountRecoveries.userId })
    .from(accountRecoveries)
    .where(
      and(
        eq(accountRecoveries.proofTokenHash, hashToken(token)),
        eq(accountRecoveries.status, "proving"),
        gt(accountRecoveries.proofExpiresAt, sql`now()`),
      ),
    );
  return row ?? null;
}

/** Whether a recovery cookie names a recovery still in its code step. */
export async function recoveryProofLive(db: Executor, token: string | undefined): Promise<boolean> {
  return (await getProof(db, token)) !== null;
}

export type RecoveryText =
  Result<object, "invalid" | "ended"> | { ok: false; reason: "limit"; retryAfterSeconds: number };

/**
 * "Text a code" on the code step: the person types a number that was one of their phones. When it
 * served as a method for at least RECOVERY_CHANNEL_MIN_AGE_MS, was deleted with "I still have this
 * number" and is none now (findFormerNumber), a code is texted to it, within its send limits; the
 * page says "if" either way. A number is never texted unasked: one a person gave up may be
 * someone else's by now, and it has to come from them.
 */
export async function textRecoveryCode(
  db: Db,
  token: string | undefined,
  typedNumber: string,
  context: RequestContext,
): Promise<RecoveryText> {
  const proof = await getProof(db, token);
  if (!proof) return { ok: false, reason: "ended" };
  const { ORG_COUNTRY, PHONE_ALLOWED_COUNTRIES } = getEnv();
  const parsed = parsePhone(typedNumber, ORG_COUNTRY, {
    allowedCountries: PHONE_ALLOWED_COUNTRIES.split(",").filter(Boolean),
    needsMobile: false,
  });
  // A country Factor no longer texts is answered like any number that does not qualify.
  if (!parsed.ok)
    return parsed.reason === "invalid" ? { ok: false, reason: "invalid" } : { ok: true };
  const [account] = await db
    .select({ role: users.role, status: users.status })
    .from(users)
    .where(eq(users.id, proof.userId));
  if (account?.role !== "user" || account.status !== "active") return { ok: true };
  const number = await findFormerNumber(
    db,
    proof.userId,
    parsed.phone.e164,
    RECOVERY_CHANNEL_MIN_AGE_MS,
  );
  if (!number) return { ok: true };
  const sent = await textFormerNumber(db, recoveryBinding(proof), number, context);
  return sent.ok || sent.reason !== "limit"
    ? { ok: true }
    : { ok: false, reason: "limit", retryAfterSeconds: sent.retryAfterSeconds };
}

/** The codes of a recovery belong to its code step alone (R-A1.6). */
function recoveryBinding(proof: ProofRow) {
  return { userId: proof.userId, purpose: "recovery" as const, transactionId: proof.id };
}

export type RecoveryProof = "email" | "text";

const PROOF_NAMES: Record<RecoveryProof, string> = {
  email: "your alternate email",
  text: "a phone number you used before",
};

/**
 * Which code `code` is of the recovery's code step, or null for neither: 8 digits, the emailed
 * code (checkEmailCode counts it); 6, the newest texted code, counted as wrong sign-in codes are
 * and refused while they are paused (R-A11.1, R-A11.5).
 */
async function checkRecoveryCode(
  tx: Executor,
  proof: ProofRow,
  code: string,
  context: RequestContext,
): Promise<RecoveryProof | null> {
  const typed = code.replace(/\s+/g, "");
  const binding = recoveryBinding(proof);
  if (typed.length !== 6) return (await checkEmailCode(tx, binding, typed)) ? "email" : null;
  // Like a sign-in text: the account's pauses, and a counter of its own with the hard stop, so
  // guesses spread over many recoveries still end (R-A11.1).
  const own = `${proof.userId}:recovery-text`;
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`mfa:${proof.userId}`}))`);
  const states = await Promise.all([
    getThrottle(tx, "mfa:account", proof.userId),
    getThrottle(tx, "mfa:option", own),
  ]);
  if (states.some((state) => state.locked)) return null;
  if (await checkTextCode(tx, binding, null, typed)) {
    await resetThrottle(tx, "mfa:account", proof.userId);
    await resetThrottle(tx, "mfa:option", own);
    return "text";
  }
  const run = await recordFailure(tx, "mfa:account", proof.userId, mfaAccountThrottlePolicy());
  await recordFailure(tx, "mfa:option", own, mfaThrottlePolicy());
  // Someone who has the password is guessing: the owner hears it at the first of a run (R-A15.1).
  if (run.counted && run.failures === 1) {
    const [owner] = await tx
      .select({ id: users.id, email: users.email, displayName: users.displayName })
      .from(users)
      .where(eq(users.id, proof.userId));
    if (owner) await queueSecurityNotice(tx, owner, "mfa.failed", context);
  }
  return null;
}

export type RecoveryAnswer = Result<{ completesAt: Date }, "wrong_code" | "ended">;

/**
 * "Verify": the emailed code. Wrong: counted on the code and the account's emailed-code counter
 * (checkEmailCode), and audited. Right: the waiting period starts — or, when one is already
 * running, it is the one reported — and every channel is told, with a cancel link.
 */
export async function answerAccountRecovery(
  db: Db,
  token: string | undefined,
  code: string,
  context: RequestContext,
): Promise<RecoveryAnswer> {
  return db.transaction(async (tx) => {
    const proof = await getProof(tx, token);
    if (!proof) return { ok: false, reason: "ended" };
    const [account] = await tx
      .select({
        id: users.id,
        email: users.email,
        displayName: users.displayName,
        role: users.role,
      })
      .from(users)
      .where(and(eq(users.id, proof.userId), eq(users.status, "active")))
      .for("update");
    const provenBy =
      account?.role === "user" ? await checkRecoveryCode(tx, proof, code, context) : null;
    if (!provenBy || !account) {
      await writeAudit(tx, {
        action: "auth.account_recovery.failed",
        outcome: "failure",
        actorId: proof.userId,
        subjectId: proof.userId,
        ...context,
      });
      return { ok: false, reason: "wrong_code" };
    }
    const running = await getWaitingRecovery(tx, account.id);
    await tx
      .update(accountRecoveries)
      .set({ status: "cancelled", proofTokenHash: null, endedAt: sql`now()`, endedBy: "merged" })
      .where(eq(accountRecoveries.id, proof.id));
    if (running) return { ok: true, completesAt: running.completesAt };
    const cancelToken = newToken();
    const now = clock.now();
    const completesAt = new Date(now.getTime() + accountRecoveryWaitMs());
    await tx.insert(accountRecoveries).values({
      userId: account.id,
      status: "waiting",
      proofExpiresAt: now,
      cancelTokenHash: hashToken(cancelToken),
      waitingSince: now,
      completesAt,
      provenBy,
      ip: context.ip,
      userAgent: context.userAgent?.slice(0, 512) ?? null,
    });
    await writeAudit(tx, {
      action: "auth.account_recovery.requested",
      outcome: "success",
      actorId: account.id,
      subjectId: account.id,
      ...context,
      details: { completesAt: completesAt.toISOString(), provenBy },
    });
    await tellEveryChannel(tx, account, { cancelToken, completesAt, provenBy }, context);
    return { ok: true, completesAt };
  });
}

function formatWhen(at: Date): string {
  return new Intl.DateTimeFormat("en-GB", {
    dateStyle: "full",
    timeStyle: "short",
    timeZone: "UTC",
  }).format(at);
}

/** The cancel link: the token rides in the fragment, which browsers never send (R-A12.11). */
export function cancelLink(cancelToken: string): string {
  return `${getEnv().PUBLIC_URL}/recover/cancel#${cancelToken}`;
}

/**
 * "Someone asked to reset your sign-in methods": to the sign-in address, the alternate email and
 * every phone that takes texts, each with the cancel link (the only link Factor sends, and it
 * signs no one in).
 */
async function tellEveryChannel(
  tx: Executor,
  account: { id: string; email: string; displayName: string },
  request: { cancelToken: string; completesAt: Date; provenBy: RecoveryProof },
  context: RequestContext,
): Promise<void> {
  const { cancelToken, completesAt, provenBy } = request;
  const { ORG_NAME, HELPDESK_EMAIL } = getEnv();
  const link = cancelLink(cancelToken);
  const subject = "Someone asked to reset your sign-in methods";
  const { text, html } = renderEmail({
    organisation: ORG_NAME,
    title: subject,
    greeting: `Hello ${account.displayName},`,
    paragraphs: [
      `Someone proved your password and a code sent to ${PROOF_NAMES[provenBy]}, and asked to ` +
        "reset your sign-in methods because they lost them all.",
      `Unless it is cancelled, on ${formatWhen(completesAt)} UTC your sign-in methods will be ` +
        "removed and the next person to sign in with your password will set up new ones.",
    ],
    facts: [
      ["When", formatWhen(clock.now())],
      ["Where", context.ip ? `IP address ${context.ip}` : "unknown"],
      ["Device", context.userAgent || "unknown"],
    ],
    sections: [
      {
        heading: "If this wasn't you, cancel here",
        paragraphs: [
          link,
          "Cancelling needs nothing but this link. Then change your password: someone knows it. " +
            `Contact the ${ORG_NAME} helpdesk at ${HELPDESK_EMAIL}.`,
        ],
      },
      {
        heading: "If this was you",
        paragraphs: ["There is nothing to do. Signing in with an old method cancels the request."],
      },
    ],
    signature: `${ORG_NAME} security`,
  });
  const alternate = await getAlternateEmail(tx, account.id);
  for (const recipient of [account.email, alternate?.email].filter(Boolean) as string[]) {
    await queueMessage(tx, {
      userId: account.id,
      channel: "email",
      recipient,
      subject,
      body: text,
      htmlBody: html,
    });
  }
  const phones = await tx
    .select({ data: mfaMethods.data })
    .from(mfaMethods)
    .where(
      and(
        eq(mfaMethods.userId, account.id),
        eq(mfaMethods.status, "active"),
        inArray(mfaMethods.kind, ["mobile_phone", "alternate_phone"]),
      ),
    );
  for (const phone of phones) {
    const e164 = phone.data?.e164;
    if (typeof e164 !== "string") continue;
    await queueMessage(tx, {
      userId: account.id,
      channel: "sms",
      recipient: e164,
      body: `${ORG_NAME}: someone asked to reset your sign-in methods. If this wasn't you, cancel here: ${link}`,
    });
  }
}

export type WaitingRecovery = { id: string; waitingSince: Date; completesAt: Date };

/** The person's recovery in its waiting period, if one is. */
export async function getWaitingRecovery(
  db: Executor,
  userId: string,
): Promise<WaitingRecovery | null> {
  const [row] = await db
    .select({
      id: accountRecoveries.id,
      waitingSince: accountRecoveries.waitingSince,
      completesAt: accountRecoveries.completesAt,
    })
    .from(accountRecoveries)
    .where(and(eq(accountRecoveries.userId, userId), eq(accountRecoveries.status, "waiting")))
    .orderBy(desc(accountRecoveries.createdAt))
    .limit(1);
  return row?.completesAt && row.waitingSince
    ? { id: row.id, waitingSince: row.waitingSince, completesAt: row.completesAt }
    : null;
}

export type RecoveryView = {
  status: Exclude<RecoveryStatus, "proving">;
  waitingSince: Date;
  completesAt: Date;
  endedAt: Date | null;
  endedBy: string | null;
  provenBy: RecoveryProof | null;
};

/** The person's latest recovery past its code step, for the helpdesk: stage and times. */
export async function getLatestRecovery(
  db: Executor,
  userId: string,
): Promise<RecoveryView | null> {
  const [row] = await db
    .select({
      status: accountRecoveries.status,
      waitingSince: accountRecoveries.waitingSince,
      completesAt: accountRecoveries.completesAt,
      endedAt: accountRecoveries.endedAt,
      endedBy: accountRecoveries.endedBy,
      provenBy: accountRecoveries.provenBy,
    })
    .from(accountRecoveries)
    .where(
      and(
        eq(accountRecoveries.userId, userId),
        inArray(accountRecoveries.status, ["waiting", "cancelled", "completed"]),
        sql`${accountRecoveries.waitingSince} is not null`,
      ),
    )
    .orderBy(desc(accountRecoveries.createdAt))
    .limit(1);
  if (!row?.waitingSince || !row.completesAt || row.status === "proving") return null;
  return {
    ...row,
    status: row.status,
    waitingSince: row.waitingSince,
    completesAt: row.completesAt,
  };
}

/**
 * "Cancel recovery" from the link in a notice: needs nothing but the token. Single use — it
 * matches only a recovery still waiting — and answers alike for an unknown, used or ended one.
 */
export async function cancelAccountRecovery(
  db: Db,
  cancelToken: string,
  context: RequestContext,
): Promise<boolean> {
  if (!cancelToken || cancelToken.length > 200) return false;
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(accountRecoveries)
      .set({ status: "cancelled", cancelTokenHash: null, endedAt: sql`now()`, endedBy: "link" })
      .where(
        and(
          eq(accountRecoveries.cancelTokenHash, hashToken(cancelToken)),
          eq(accountRecoveries.status, "waiting"),
        ),
      )
      .returning({ userId: accountRecoveries.userId });
    if (!row) return false;
    await endedNotice(tx, row.userId, "link", context);
    return true;
  });
}

/**
 * A sign-in (or step-up) that passed an old method: the owner still has it, so a waiting
 * recovery is cancelled. Called in the transaction that records the second factor.
 */
export async function cancelRecoveryOnSignIn(
  tx: Executor,
  userId: string,
  context: RequestContext,
): Promise<void> {
  const cancelled = await tx
    .update(accountRecoveries)
    .set({ status: "cancelled", cancelTokenHash: null, endedAt: sql`now()`, endedBy: "sign_in" })
    .where(and(eq(accountRecoveries.userId, userId), eq(accountRecoveries.status, "waiting")))
    .returning({ id: accountRecoveries.id });
  if (cancelled.length > 0) await endedNotice(tx, userId, "sign_in", context);
}

async function endedNotice(
  tx: Executor,
  userId: string,
  by: "link" | "sign_in",
  context: RequestContext,
): Promise<void> {
  await writeAudit(tx, {
    action: "auth.account_recovery.cancelled",
    outcome: "success",
    actorId: by === "sign_in" ? userId : null,
    subjectId: userId,
    ...context,
    details: { by },
  });
  const [user] = await tx
    .select({ id: users.id, email: users.email, displayName: users.displayName })
    .from(users)
    .where(eq(users.id, userId));
  if (user) {
    await queueSecurityNotice(
      tx,
      user,
      "account_recovery.cancelled",
      context,
      by === "sign_in"
        ? "It was cancelled because you signed in with one of your sign-in methods."
        : "It was cancelled with the link in our message.",
    );
  }
}

/**
 * At a right password: when the person's recovery has waited its time, it completes now — every
 * old method, session and remembered browser goes, MFA is required — so this sign-in continues
 * straight to registration, on the password alone, once. Returns whether it completed.
 */
export async function completeDueAccountRecovery(
  db: Db,
  userId: string,
  context: RequestContext,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [due] = await tx
      .update(accountRecoveries)
      .set({
        status: "completed",
        cancelTokenHash: null,
        endedAt: sql`now()`,
        endedBy: "completed",
      })
      .where(
        and(
          eq(accountRecoveries.userId, userId),
          eq(accountRecoveries.status, "waiting"),
          lte(accountRecoveries.completesAt, clock.now()),
        ),
      )
      .returning({ id: accountRecoveries.id });
    if (!due) return false;
    const removed = await removeEveryMethod(tx, userId);
    const sessions = await revokeUserSessions(tx, userId, "account_recovered");
    await endSignInsInProgress(tx, userId);
    const browsers = await forgetBrowsers(tx, userId);
    await writeAudit(tx, {
      action: "auth.account_recovery.completed",
      outcome: "success",
      actorId: userId,
      subjectId: userId,
      ...context,
      details: { ...removed, sessionsRevoked: sessions, browsersForgotten: browsers },
    });
    const [user] = await tx
      .select({ id: users.id, email: users.email, displayName: users.displayName })
      .from(users)
      .where(eq(users.id, userId));
    if (user) await queueSecurityNotice(tx, user, "account_recovery.completed", context);
    return true;
  });
}
