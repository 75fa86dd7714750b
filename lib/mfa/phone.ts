import { createHmac, randomInt } from "node:crypto";
import { and, desc, eq, gt, inArray, isNull, like, lt, ne, or, sql, type SQL } from "drizzle-orm";
import { writeAudit } from "@/lib/audit/log";
import type { Db, Executor } from "@/lib/db/client";
import { mfaMethods, outbox, phoneChallenges } from "@/lib/db/schema";
import { getEnv, getSecrets } from "@/lib/env";
import { queueMessage } from "@/lib/notify/outbox";
import { safeEqual } from "@/lib/security/tokens";
import { methodAdded, refused, type Activation, type EnrolmentResult } from "./enrolment-result";
import { hasDefaultMethod } from "./methods";
import { maskPhone } from "./phone-numbers";
import {
  isPhoneKind,
  limitFor,
  METHOD_KIND_INFO,
  type MethodData,
  type PhoneKind,
} from "./registry";
import { isUuid } from "@/lib/security/ids";
import type { RequestContext } from "@/lib/types/request";

// Phone methods (R-A5): a number becomes a method only once a code sent to it is entered or a
// call to it is answered with "#" (R-A5.5). Challenges live in `phone_challenges`; texts and
// calls go out through the outbox in the same transaction that creates the challenge.

export type PhoneChannel = "sms" | "voice";
export type ChallengePurpose = "enrol" | "sign_in" | "step_up";

/** Wrong codes that kill a code (R-A5.3). */
export const CODE_FAILURE_LIMIT = 5;
const ENROLMENT_TTL_MS = 30 * 60_000;
const DAY_MS = 24 * 3600_000;
const HOUR_MS = 3600_000;

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

// ── send limits ─────────────────────────────────────────────────────────────

type Window = {
  last: Date | null;
  hour: number;
  day: number;
  hourOldest: Date | null;
  dayOldest: Date | null;
};

async function recentSends(db: Executor, scope: SQL): Promise<Window> {
  const [row] = await db
    .select({
      last: sql<string | null>`max(${outbox.createdAt})`,
      hour: sql<number>`(count(*) filter (where ${outbox.createdAt} > now() - interval '1 hour'))::int`,
      day: sql<number>`count(*)::int`,
      hourOldest: sql<
        string | null
      >`min(${outbox.createdAt}) filter (where ${outbox.createdAt} > now() - interval '1 hour')`,
      dayOldest: sql<string | null>`min(${outbox.createdAt})`,
    })
    .from(outbox)
    .where(
      and(
        scope,
        inArray(outbox.channel, ["sms", "voice"]),
        gt(outbox.createdAt, sql`now() - interval '1 day'`),
      ),
    );
  const date = (v: string | null | undefined) => (v ? new Date(v) : null);
  return {
    last: date(row?.last),
    hour: row?.hour ?? 0,
    day: row?.day ?? 0,
    hourOldest: date(row?.hourOldest),
    dayOldest: date(row?.dayOldest),
  };
}

/** Seconds until one more send fits this window, or 0 when it fits now. */
function waitFor(window: Window, now: number): number {
  const env = getEnv();
  const waits = [0];
  if (window.last) waits.push(window.last.getTime() + env.PHONE_SEND_INTERVAL_SECONDS * 1000 - now);
  if (window.hour >= env.PHONE_SENDS_PER_HOUR && window.hourOldest)
    waits.push(window.hourOldest.getTime() + HOUR_MS - now);
  if (window.day >= env.PHONE_SENDS_PER_DAY && window.dayOldest)
    waits.push(window.dayOldest.getTime() + DAY_MS - now);
  return Math.max(0, Math.ceil(Math.max(...waits) / 1000));
}

/**
 * Whether one more text or call may go to this number for this account now (R-A5.4): per account,
 * per number and within a global daily budget. A number the person has already verified counts
 * only their own sends — so nobody else can use up the owner's budget by registering it — while
 * an unverified number counts every account's sends (harassment, toll fraud). The caller holds
 * the locks. Returns the seconds to wait, 0 when it may go now.
 */
async function sendAllowance(
  db: Executor,
  userId: string,
  e164: string,
  numberVerified: boolean,
): Promise<number> {
  const now = Date.now();
  const toNumber = or(eq(outbox.recipient, e164), like(outbox.recipient, `${e164};ext=%`))!;
  const [account, number, [global]] = await Promise.all([
    recentSends(db, eq(outbox.userId, userId)),
    recentSends(db, numberVerified ? and(toNumber, eq(outbox.userId, userId))! : toNumber),
    db
      .select({ n: sql<number>`count(*)::int` })
      .from(outbox)
      .where(
        and(
          inArray(outbox.channel, ["sms", "voice"]),
          gt(outbox.createdAt, sql`now() - interval '1 day'`),
        ),
      ),
  ]);
  if ((global?.n ?? 0) >= getEnv().PHONE_DAILY_BUDGET) return 3600;
  return Math.max(waitFor(account, now), waitFor(number, now));
}

/** Serialises sends for one account and one number across instances (transaction-scoped locks). */
async function lockSends(db: Executor, userId: string, e164: string): Promise<void> {
  await db.execute(sql`select pg_advisory_xact_lock(hashtext(${`phone-send:${userId}`}))`);
  await db.execute(sql`select pg_advisory_xact_lock(hashtext(${`phone-send:${e164}`}))`);
}

// ── methods ─────────────────────────────────────────────────────────────────

export type PhoneMethod = {
  id: string;
  kind: PhoneKind;
  status: "pending" | "active";
  e164: string;
  extension: string | null;
  channel: PhoneChannel;
  replaces: string | null;
  /** While pending: the registration (sign-in or session) it belongs to. */
  bindingId: string | null;
};

function toPhoneMethod(row: {
  id: string;
  kind: string;
  status: "pending" | "active";
  data: MethodData | null;
}): PhoneMethod | null {
  if (!isPhoneKind(row.kind) || typeof row.data?.e164 !== "string") return null;
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    e164: row.data.e164,
    extension: typeof row.data.extension === "string" ? row.data.extension : null,
    channel: row.data.channel === "voice" ? "voice" : "sms",
    replaces: typeof row.data.replaces === "string" ? row.data.replaces : null,
    bindingId: typeof row.data.bindingId === "string" ? row.data.bindingId : null,
  };
}

const phoneColumns = {
  id: mfaMethods.id,
  kind: mfaMethods.kind,
  status: mfaMethods.status,
  data: mfaMethods.data,
};

/** One of the user's phone methods (active, or pending while registering); foreign ids are null. */
export async function getOwnPhone(
  db: Executor,
  userId: string,
  methodId: string,
): Promise<PhoneMethod | null> {
  if (!isUuid(methodId)) return null;
  const [row] = await db
    .select(phoneColumns)
    .from(mfaMethods)
    .where(and(eq(mfaMethods.id, methodId), eq(mfaMethods.userId, userId)));
  return row ? toPhoneMethod(row) : null;
}

/** The user's unexpired phone registration in progress, started by this registration. */
export async function getPendingPhone(
  db: Executor,
  userId: string,
  bindingId: string,
): Promise<PhoneMethod | null> {
  const rows = await db
    .select(phoneColumns)
    .from(mfaMethods)
    .where(
      and(
        eq(mfaMethods.userId, userId),
        eq(mfaMethods.status, "pending"),
        gt(mfaMethods.expiresAt, sql`now()`),
        sql`${mfaMethods.data}->>'bindingId' = ${bindingId}`,
      ),
    )
    .orderBy(desc(mfaMethods.createdAt))
    .limit(1);
  return rows[0] ? toPhoneMethod(rows[0]) : null;
}

export type PhoneEnrolment = {
  kind: PhoneKind;
  e164: string;
  extension: string | null;
  channel: PhoneChannel;
  /** "Change": the phone this one replaces once verified. */
  replaces: string | null;
  /** The registration (sign-in or session) that may finish it. */
  bindingId: string;
};

/** The challenges of a phone registration belong to it alone (R-A1.6). */
export function enrolmentBinding(userId: string, bindingId: string): ChallengeBinding {
  return { userId, purpose: "enrol", transactionId: bindingId };
}

/**
 * Starts registering a phone: a pending method that becomes active only when verified. One phone
 * of each type; a restarted registration replaces the abandoned one. A "Change" must name one of
 * the person's own phones of that type.
 */
export async function beginPhoneEnrolment(
  db: Executor,
  userId: string,
  enrolment: PhoneEnrolment,
): Promise<EnrolmentResult<string>> {
  // Alone this is a transaction; inside a caller's, a savepoint (docs/architecture.md).
  return db.transaction(async (tx) => {
    const existing = await tx
      .select({ id: mfaMethods.id })
      .from(mfaMethods)
      .where(
        and(
          eq(mfaMethods.userId, userId),
          eq(mfaMethods.kind, enrolment.kind),
          eq(mfaMethods.status, "active"),
        ),
      );
    const others = existing.filter((row) => row.id !== enrolment.replaces);
    if (others.length >= limitFor(enrolment.kind)) return refused("limit_reached");
    if (enrolment.replaces && !existing.some((row) => row.id === enrolment.replaces)) {
      return refused("not_found");
    }
    await tx
      .delete(mfaMethods)
      .where(and(eq(mfaMethods.userId, userId), eq(mfaMethods.status, "pending")));
    const id = crypto.randomUUID();
    await tx.insert(mfaMethods).values({
      id,
      userId,
      kind: enrolment.kind,
      label: maskPhone(enrolment.e164),
      status: "pending",
      data: {
        e164: enrolment.e164,
        extension: enrolment.extension,
        channel: enrolment.channel,
        replaces: enrolment.replaces,
        bindingId: enrolment.bindingId,
      },
      expiresAt: new Date(Date.now() + ENROLMENT_TTL_MS),
    });
    return { ok: true, value: id };
  });
}

/**
 * Activates a verified pending phone. A "Change" removes the phone it replaces, keeping its
 * default flag; returns the replaced number so the old number can be told (R-A5.5, R-A15.2).
 */
export async function activatePhone(
  db: Executor,
  userId: string,
  methodId: string,
): Promise<{ phone: PhoneMethod; replaced: PhoneMethod | null } | null> {
  const phone = await getOwnPhone(db, userId, methodId);
  if (!phone || phone.status !== "pending") return null;
  const replaced = phone.replaces ? await getOwnPhone(db, userId, phone.replaces) : null;
  let wasDefault = false;
  if (replaced) {
    const [gone] = await db
      .delete(mfaMethods)
      .where(and(eq(mfaMethods.id, replaced.id), eq(mfaMethods.userId, userId)))
      .returning({ isDefault: mfaMethods.isDefault });
    wasDefault = gone?.isDefault ?? false;
  }
  const hasDefault = await hasDefaultMethod(db, userId);
  const activated = await db
    .update(mfaMethods)
    .set({
      status: "active",
      confirmedAt: sql`now()`,
      lastUsedAt: sql`now()`,
      expiresAt: null,
      isDefault: wasDefault || !hasDefault,
      data: {
        e164: phone.e164,
        extension: phone.extension,
        channel: phone.channel,
      },
    })
    .where(and(eq(mfaMethods.id, phone.id), eq(mfaMethods.status, "pending")))
    .returning({ id: mfaMethods.id });
  return activated.length === 1 ? { phone: { ...phone, status: "active" }, replaced } : null;
}

/**
 * Finishes registering a phone with what proves it is the person's: the code texted to it, or a
 * call to it answered with "#". A change is told to the old number too (R-A5.5, R-A15.2).
 */
export async function confirmPhoneEnrolment(
  db: Executor,
  binding: ChallengeBinding,
  methodId: string,
  answer: { code: string } | { callId: string },
): Promise<EnrolmentResult<Activation>> {
  const proven =
    "code" in answer
      ? await checkTextCode(db, binding, methodId, answer.code)
      : (await consumeApprovedCall(db, binding, answer.callId)) === methodId;
  if (!proven) return refused("wrong_code");
  const activated = await activatePhone(db, binding.userId, methodId);
  if (!activated) return refused("not_found");
  const { phone, replaced } = activated;
  const kindName = METHOD_KIND_INFO[phone.kind].listName;
  if (!replaced) {
    return {
      ok: true,
      value: methodAdded(phone.kind, phone.id, `${kindName} ${maskPhone(phone.e164)}`, {
        replaces: null,
      }),
    };
  }
  return {
    ok: true,
    value: {
      methodId: phone.id,
      audit: {
        action: "mfa.phone.changed",
        details: { kind: phone.kind, methodId: phone.id, replaces: replaced.id },
      },
      notice: {
        event: "phone.changed",
        detail: `${kindName}: ${maskPhone(replaced.e164)} was replaced by ${maskPhone(phone.e164)}.`,
        // By text, without a link: the old number may be the only way the owner hears of it.
        options: { smsTo: replaced.e164 },
      },
    },
  };
}

// ── challenges ──────────────────────────────────────────────────────────────

export type SendResult =
  | { ok: true; challengeId: string }
  | { ok: false; reason: "limit"; retryAfterSeconds: number }
  | { ok: false; reason: "dead" | "unavailable" };

function textBody(code: string): string {
  return `Your ${getEnv().ORG_NAME} verification code is ${code}. Don't share it.`;
}

function callScript(purpose: ChallengePurpose): string {
  const why = purpose === "enrol" ? "to finish adding this phone" : "to finish signing in";
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
    await lockSends(tx, user.id, phone.e164);
    const audit = { actorId: user.id, subjectId: user.id, ...context };
    const retryAfterSeconds = await sendAllowance(
      tx,
      user.id,
      phone.e164,
      phone.status === "active",
    );
    if (retryAfterSeconds > 0) {
      await writeAudit(tx, {
        action: "mfa.phone.refused",
        outcome: "denied",
        ...audit,
        details: { channel, methodId, retryAfterSeconds },
      });
      return { ok: false, reason: "limit", retryAfterSeconds } as const;
    }
    const env = getEnv();
    const live = and(
      bindingMatches(binding),
      eq(phoneChallenges.methodId, phone.id),
      eq(phoneChallenges.channel, channel),
    );
    let challengeId: string;
    if (channel === "sms") {
      const [current] = await tx
        .select({ id: phoneChallenges.id, failures: phoneChallenges.failures })
        .from(phoneChallenges)
        .where(and(live, inArray(phoneChallenges.status, ["pending", "dead"])))
        .orderBy(desc(phoneChallenges.createdAt))
        .limit(1)
        .for("update");
      if (current && current.failures >= CODE_FAILURE_LIMIT) {
        return { ok: false, reason: "dead" } as const;
      }
      challengeId = current?.id ?? crypto.randomUUID();
      const code = newCode();
      const fields = {
        codeHash: hashCode(challengeId, code),
        status: "pending" as const,
        expiresAt: new Date(Date.now() + env.SMS_CODE_TTL_SECONDS * 1000),
        lastSentAt: new Date(),
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
          methodId: phone.id,
          channel,
          ...fields,
          sends: 1,
        });
      }
      await queueMessage(tx, {
        userId: user.id,
        channel: "sms",
        recipient: phone.e164,
        body: textBody(code),
        sensitive: true,
        reference: challengeId,
      });
    } else {
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
        expiresAt: new Date(Date.now() + env.CALL_ANSWER_SECONDS * 1000),
        lastSentAt: new Date(),
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
 * Checks a typed code against the binding's text challenge for one phone. Right: the challenge
 * is used up. Wrong: one more failure on it; the fifth kills it (R-A5.3). Expired or dead codes
 * never match.
 */
export async function checkTextCode(
  db: Executor,
  binding: ChallengeBinding,
  methodId: string,
  code: string,
): Promise<boolean> {
  const [challenge] = await db
    .select({
      id: phoneChallenges.id,
      codeHash: phoneChallenges.codeHash,
      failures: phoneChallenges.failures,
    })
    .from(phoneChallenges)
    .where(
      and(
        bindingMatches(binding),
        eq(phoneChallenges.methodId, methodId),
        eq(phoneChallenges.channel, "sms"),
        eq(phoneChallenges.status, "pending"),
        gt(phoneChallenges.expiresAt, sql`now()`),
        lt(phoneChallenges.failures, CODE_FAILURE_LIMIT),
      ),
    )
    .for("update");
  if (!challenge?.codeHash) return false;
  if (safeEqual(challenge.codeHash, hashCode(challenge.id, code))) {
    const used = await db
      .update(phoneChallenges)
      .set({ status: "used", answeredAt: sql`now()` })
      .where(and(eq(phoneChallenges.id, challenge.id), eq(phoneChallenges.status, "pending")))
      .returning({ id: phoneChallenges.id });
    if (used.length === 1) await markPhoneUsed(db, methodId);
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
  if (row) await markPhoneUsed(db, row.methodId);
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
