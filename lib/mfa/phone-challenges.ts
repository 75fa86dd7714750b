import { createHmac, randomInt } from "node:crypto";
import { and, desc, eq, gt, inArray, isNull, lt, ne, sql } from "drizzle-orm";
import { writeAudit, type AuditEntry } from "@/lib/audit/log";
import type { Db, Executor } from "@/lib/db/client";
import { mfaMethods, phoneChallenges } from "@/lib/db/schema";
import { getEnv, getSecrets } from "@/lib/env";
import { queueMessage } from "@/lib/notify/outbox";
import { safeEqual } from "@/lib/security/tokens";
import { METHOD_KIND_INFO } from "./registry";
import { isUuid } from "@/lib/security/ids";
import type { RequestContext } from "@/lib/types/request";
import type { FormerNumber } from "./former-phone-numbers";
import { getOwnPhone, type ChallengePurpose, type PhoneChannel, type PhoneMethod } from "./phone";
import { lockSends, sendAllowance } from "./phone-send-limits";
import { clock } from "@/lib/clock";
import { databaseNowPlus } from "@/lib/db/time";

// Codes by text and calls to a phone (R-A5): each is a challenge in phone_challenges, bound to its
// person, purpose and sign-in (R-A1.6), sent through the outbox in the transaction that creates it.

/** Wrong codes that kill a code (R-A5.3). */
export const CODE_FAILURE_LIMIT = 5;

export type Requester = { id: string };

/** Which challenge a request is about: who, why, and for a sign-in, which transaction. */
export type ChallengeBinding = {
  userId: string;
  purpose: ChallengePurpose;
  transactionId: string | null;
};

function bindingMatches(binding: ChallengeBinding) {
  return and(
    eq(phoneChallenges.userId, binding.userId),
    eq(phoneChallenges.purpose, binding.purpose),
    binding.transactionId === null
      ? isNull(phoneChallenges.transactionId)
      : eq(phoneChallenges.transactionId, binding.transactionId),
  );
}

function newCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, "0");
}

/** A code is kept as a keyed hash bound to its challenge: a leaked row cannot be brute-forced offline. */
function hashCode(challengeId: string, code: string): string {
  return createHmac("sha256", getSecrets().authSecret)
    .update(`phone-code\u0000${challengeId}\u0000${code}`)
    .digest("base64url");
}

export type SendResult =
  | { ok: true; challengeId: string }
  | { ok: false; reason: "limit"; retryAfterSeconds: number }
  | { ok: false; reason: "dead" | "unavailable" };

function textBody(code: string): string {
  return `Your ${getEnv().ORG_NAME} verification code is ${code}. Don't share it.`;
}

function callScript(purpose: ChallengePurpose): string {
  const why =
    purpose === "enrol"
      ? "to finish adding this phone"
      : purpose === "password_reset"
        ? "to reset your password"
        : "to finish signing in";
  return (
    `This is ${getEnv().ORG_NAME}. If you asked for this call, press the pound key ${why}. ` +
    "If you did not, hang up."
  );
}

/** Where a call goes: the number, and an office extension after ";ext=" (RFC 3966). */
function callDestination(phone: PhoneMethod): string {
  return phone.extension ? `${phone.e164};ext=${phone.extension}` : phone.e164;
}

/**
 * Takes the send locks and checks the send limits (R-A5.4); a refusal is audited. Returns the
 * seconds to wait, 0 when the send may go now, still under the locks.
 */
async function claimSend(
  tx: Executor,
  userId: string,
  e164: string,
  numberVerified: boolean,
  audit: Omit<AuditEntry, "action" | "outcome">,
): Promise<number> {
  await lockSends(tx, userId, e164);
  const retryAfterSeconds = await sendAllowance(tx, userId, e164, numberVerified);
  if (retryAfterSeconds > 0) {
    await writeAudit(tx, {
      action: "mfa.phone.refused",
      outcome: "denied",
      ...audit,
      details: { ...audit.details, retryAfterSeconds },
    });
  }
  return retryAfterSeconds;
}

/**
 * Sends a code by text or places a call, within the send limits (R-A5.4). A text to the same
 * challenge replaces its code and keeps its failure count (R-A5.2, R-A5.3); a new call ends any
 * earlier one. Refusals say only when to try again, whoever the number belongs to.
 */
export async function sendPhoneChallenge(
  db: Db,
  user: Requester,
  binding: ChallengeBinding,
  methodId: string,
  channel: PhoneChannel,
  context: RequestContext,
): Promise<SendResult> {
  return db.transaction(async (tx) => {
    const phone = await getOwnPhone(tx, user.id, methodId);
    const wanted = binding.purpose === "enrol" ? "pending" : "active";
    if (
      !phone ||
      phone.status !== wanted ||
      !METHOD_KIND_INFO[phone.kind].signInOptions.includes(channel)
    ) {
      return { ok: false, reason: "unavailable" } as const;
    }
    const audit = { actorId: user.id, subjectId: user.id, ...context };
    const retryAfterSeconds = await claimSend(tx, user.id, phone.e164, phone.status === "active", {
      ...audit,
      details: { channel, methodId },
    });
    if (retryAfterSeconds > 0) return { ok: false, reason: "limit", retryAfterSeconds } as const;
    let challengeId: string;
    if (channel === "sms") {
      const texted = await textCode(tx, user.id, binding, { methodId: phone.id, e164: phone.e164 });
      if (!texted) return { ok: false, reason: "dead" } as const;
      challengeId = texted;
    } else {
      const live = and(
        bindingMatches(binding),
        eq(phoneChallenges.methodId, phone.id),
        eq(phoneChallenges.channel, "voice"),
      );
      await tx
        .update(phoneChallenges)
        .set({ status: "dead" })
        .where(and(live, inArray(phoneChallenges.status, ["pending", "ringing"])));
      challengeId = crypto.randomUUID();
      await tx.insert(phoneChallenges).values({
        id: challengeId,
        ...binding,
        methodId: phone.id,
        channel,
        status: "ringing",
        expiresAt: databaseNowPlus(getEnv().CALL_ANSWER_SECONDS * 1000),
        lastSentAt: clock.now(),
        sends: 1,
      });
      await queueMessage(tx, {
        userId: user.id,
        channel: "voice",
        recipient: callDestination(phone),
        body: callScript(binding.purpose),
        reference: challengeId,
      });
    }
    await writeAudit(tx, {
      action: "mfa.phone.sent",
      outcome: "success",
      ...audit,
      details: { channel, methodId: phone.id, purpose: binding.purpose },
    });
    return { ok: true, challengeId } as const;
  });
}

/** Where a text goes: one of the person's phone methods, or a number that no longer is one. */
export type TextTarget = { methodId: string } | { formerNumberId: string };

function targetMatches(target: TextTarget) {
  return "methodId" in target
    ? eq(phoneChallenges.methodId, target.methodId)
    : eq(phoneChallenges.formerNumberId, target.formerNumberId);
}

/**
 * Texts a new code for a binding and target, the caller having checked the send limits under
 * their locks. A resend replaces the code of the live challenge and keeps its failure count
 * (R-A5.2, R-A5.3); returns the challenge's id, or null once 5 wrong codes have killed it.
 */
async function textCode(
  tx: Executor,
  userId: string,
  binding: ChallengeBinding,
  target: TextTarget & { e164: string },
): Promise<string | null> {
  const [current] = await tx
    .select({ id: phoneChallenges.id, failures: phoneChallenges.failures })
    .from(phoneChallenges)
    .where(
      and(
        bindingMatches(binding),
        targetMatches(target),
        eq(phoneChallenges.channel, "sms"),
        inArray(phoneChallenges.status, ["pending", "dead"]),
      ),
    )
    .orderBy(desc(phoneChallenges.createdAt))
    .limit(1)
    .for("update");
  if (current && current.failures >= CODE_FAILURE_LIMIT) return null;
  const challengeId = current?.id ?? crypto.randomUUID();
  const code = newCode();
  const fields = {
    codeHash: hashCode(challengeId, code),
    status: "pending" as const,
    expiresAt: databaseNowPlus(getEnv().SMS_CODE_TTL_SECONDS * 1000),
    lastSentAt: clock.now(),
  };
  if (current) {
    await tx
      .update(phoneChallenges)
      .set({ ...fields, sends: sql`${phoneChallenges.sends} + 1` })
      .where(eq(phoneChallenges.id, current.id));
  } else {
    await tx.insert(phoneChallenges).values({
      id: challengeId,
      ...binding,
      methodId: "methodId" in target ? target.methodId : null,
      formerNumberId: "formerNumberId" in target ? target.formerNumberId : null,
      channel: "sms",
      ...fields,
      sends: 1,
    });
  }
  await queueMessage(tx, {
    userId,
    channel: "sms",
    recipient: target.e164,
    body: textBody(code),
    sensitive: true,
    reference: challengeId,
  });
  return challengeId;
}

/**
 * Texts a code to a former number of the person's (a recovery's proof), within the send limits of
 * a number they verified (R-A5.4). Refusals say only when to try again.
 */
export async function textFormerNumber(
  db: Db,
  binding: ChallengeBinding,
  number: FormerNumber,
  context: RequestContext,
): Promise<SendResult> {
  return db.transaction(async (tx) => {
    const { userId } = binding;
    const audit = { actorId: userId, subjectId: userId, ...context };
    const details = { channel: "sms", formerNumberId: number.id, purpose: binding.purpose };
    // The person verified this number once: only their own sends count against it.
    const retryAfterSeconds = await claimSend(tx, userId, number.e164, true, { ...audit, details });
    if (retryAfterSeconds > 0) return { ok: false, reason: "limit", retryAfterSeconds } as const;
    const challengeId = await textCode(tx, userId, binding, {
      formerNumberId: number.id,
      e164: number.e164,
    });
    if (!challengeId) return { ok: false, reason: "dead" } as const;
    await writeAudit(tx, { action: "mfa.phone.sent", outcome: "success", ...audit, details });
    return { ok: true, challengeId } as const;
  });
}

/**
 * Seconds until another text or call may go to one of the person's phones, counted as a send
 * counts them (R-A5.4); 0 when one may go now. For a page to show: the send counts again under
 * its locks, so a page that is wrong by a moment can only be refused, never let through.
 */
export async function getPhoneSendWait(
  db: Executor,
  userId: string,
  methodId: string,
): Promise<number> {
  const phone = await getOwnPhone(db, userId, methodId);
  if (!phone) return 0;
  return sendAllowance(db, userId, phone.e164, phone.status === "active");
}

/** The live text challenge for a binding and phone, if a code has been sent and can still be used. */
export async function getLiveTextChallenge(
  db: Executor,
  binding: ChallengeBinding,
  methodId: string,
): Promise<{ id: string; expiresAt: Date; lastSentAt: Date | null } | null> {
  const [row] = await db
    .select({
      id: phoneChallenges.id,
      expiresAt: phoneChallenges.expiresAt,
      lastSentAt: phoneChallenges.lastSentAt,
    })
    .from(phoneChallenges)
    .where(
      and(
        bindingMatches(binding),
        eq(phoneChallenges.methodId, methodId),
        eq(phoneChallenges.channel, "sms"),
        eq(phoneChallenges.status, "pending"),
        gt(phoneChallenges.expiresAt, sql`now()`),
      ),
    )
    .limit(1);
  return row ?? null;
}

/**
 * Checks a typed code against the binding's text challenge for one phone, or with no target the
 * binding's newest text, wherever it went. Right: the challenge is used up. Wrong: one more
 * failure on it; the fifth kills it (R-A5.3). Expired or dead codes never match.
 */
export async function checkTextCode(
  db: Executor,
  binding: ChallengeBinding,
  target: TextTarget | null,
  code: string,
): Promise<boolean> {
  const [challenge] = await db
    .select({
      id: phoneChallenges.id,
      methodId: phoneChallenges.methodId,
      codeHash: phoneChallenges.codeHash,
      failures: phoneChallenges.failures,
    })
    .from(phoneChallenges)
    .where(
      and(
        bindingMatches(binding),
        target ? targetMatches(target) : undefined,
        eq(phoneChallenges.channel, "sms"),
        eq(phoneChallenges.status, "pending"),
        gt(phoneChallenges.expiresAt, sql`now()`),
        lt(phoneChallenges.failures, CODE_FAILURE_LIMIT),
      ),
    )
    .orderBy(desc(phoneChallenges.createdAt))
    .limit(1)
    .for("update");
  if (!challenge?.codeHash) return false;
  if (safeEqual(challenge.codeHash, hashCode(challenge.id, code))) {
    const used = await db
      .update(phoneChallenges)
      .set({ status: "used", answeredAt: sql`now()` })
      .where(and(eq(phoneChallenges.id, challenge.id), eq(phoneChallenges.status, "pending")))
      .returning({ id: phoneChallenges.id });
    if (used.length === 1 && challenge.methodId) await markPhoneUsed(db, challenge.methodId);
    return used.length === 1;
  }
  await db
    .update(phoneChallenges)
    .set({
      failures: sql`${phoneChallenges.failures} + 1`,
      status: sql`case when ${phoneChallenges.failures} + 1 >= ${CODE_FAILURE_LIMIT} then 'dead' else ${phoneChallenges.status} end`,
    })
    .where(eq(phoneChallenges.id, challenge.id));
  return false;
}

async function markPhoneUsed(db: Executor, methodId: string): Promise<void> {
  await db
    .update(mfaMethods)
    .set({ lastUsedAt: sql`now()` })
    .where(and(eq(mfaMethods.id, methodId), ne(mfaMethods.status, "pending")));
}

export type CallStatus = "ringing" | "approved" | "declined" | "expired" | "gone";

/** How a call of this binding is going: what the waiting page polls. No answer in time declines. */
export async function getCallStatus(
  db: Executor,
  binding: ChallengeBinding,
  challengeId: string,
): Promise<CallStatus> {
  if (!isUuid(challengeId)) return "gone";
  const [row] = await db
    .select({
      status: phoneChallenges.status,
      expired: sql<boolean>`${phoneChallenges.expiresAt} <= now()`,
    })
    .from(phoneChallenges)
    .where(
      and(
        bindingMatches(binding),
        eq(phoneChallenges.id, challengeId),
        eq(phoneChallenges.channel, "voice"),
      ),
    );
  if (!row) return "gone";
  if (row.status === "ringing") return row.expired ? "expired" : "ringing";
  if (row.status === "approved" || row.status === "declined") return row.status;
  return "gone";
}

/**
 * Uses up an approved call for its binding, once: two tabs finishing the same sign-in get one
 * success between them. Returns the phone's id.
 */
export async function consumeApprovedCall(
  db: Executor,
  binding: ChallengeBinding,
  challengeId: string,
): Promise<string | null> {
  if (!isUuid(challengeId)) return null;
  const [row] = await db
    .update(phoneChallenges)
    .set({ status: "used" })
    .where(
      and(
        bindingMatches(binding),
        eq(phoneChallenges.id, challengeId),
        eq(phoneChallenges.channel, "voice"),
        eq(phoneChallenges.status, "approved"),
      ),
    )
    .returning({ methodId: phoneChallenges.methodId });
  if (row?.methodId) await markPhoneUsed(db, row.methodId);
  return row?.methodId ?? null;
}

/** Removes challenges a day past their time; send limits count the outbox, not these. */
export async function purgeExpiredPhoneChallenges(db: Executor): Promise<void> {
  await db
    .delete(phoneChallenges)
    .where(lt(phoneChallenges.expiresAt, sql`now() - interval '1 day'`));
}

/** The newest call of a binding to one phone, whatever its state: what a waiting page shows. */
export async function getLatestCall(
  db: Executor,
  binding: ChallengeBinding,
  methodId: string,
): Promise<{ id: string } | null> {
  const [row] = await db
    .select({ id: phoneChallenges.id })
    .from(phoneChallenges)
    .where(
      and(
        bindingMatches(binding),
        eq(phoneChallenges.methodId, methodId),
        eq(phoneChallenges.channel, "voice"),
      ),
    )
    .orderBy(desc(phoneChallenges.createdAt))
    .limit(1);
  return row ?? null;
}
