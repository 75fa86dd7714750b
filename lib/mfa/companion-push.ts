import { createHmac, randomBytes } from "node:crypto";
import { and, count, desc, eq, gt, lt, ne, or, sql, type SQL } from "drizzle-orm";
import { lookupOrigin } from "@/lib/activity/sign-in-events";
import { describeLocation } from "@/lib/activity/ip-intel";
import { describeDevice } from "@/lib/activity/user-agent";
import { writeAudit } from "@/lib/audit/log";
import type { Db, Executor } from "@/lib/db/client";
import {
  auditLog,
  companionDevices,
  companionPairings,
  mfaMethods,
  pushRequests,
  users,
} from "@/lib/db/schema";
import { getEnv, getSecrets } from "@/lib/env";
import { queueSecurityNotice } from "@/lib/notify/security-notice";
import { safeEqual } from "@/lib/security/tokens";
import {
  answerMessage,
  type AnswerResult,
  type PendingPush,
  type PushDecision,
} from "./companion-protocol";
import { checkPhoneSignInPin } from "./phone-sign-in";
import { sendWakeUp, webPushConfigured, type PushSubscription } from "./web-push";
import { getDevice, verifyDeviceSignature, type PairedDevice } from "./companion-device";
import { isUuid } from "@/lib/security/ids";
import type { RequestContext } from "@/lib/types/request";
import { databaseNowPlus } from "@/lib/db/time";

// Number-matching push requests to a paired phone (R-A6.1–R-A6.4): how many may be asked, what the
// phone is shown, and its signed answers.

/** R-A6.3: at most this many requests per account in PUSH_WINDOW_MS since the last success. */
export const PUSH_REQUESTS_PER_WINDOW = 3;
export const PUSH_WINDOW_MS = 10 * 60_000;
/** R-A6.4: "This wasn't me" pauses requests for this long. */
export const FRAUD_PAUSE_MS = 60 * 60_000;

// ── push requests ───────────────────────────────────────────────────────────

/**
 * Why a request is sent: a sign-in's second factor, a phone sign-in (instead of the password), a
 * helpdesk agent checking that a caller is the person (lib/admin/caller-verification.ts), or a
 * sign-in to a service that cannot show a number (a VPN over RADIUS, docs/decisions/0019).
 */
export type PushPurpose =
  "second_factor" | "phone_sign_in" | "helpdesk_verification" | "service_sign_in";

/**
 * A service sign-in's request has no number: the VPN asking cannot show one. The phone asks "Did
 * you just sign in to <service>?" instead, and the approval carries an empty number.
 */
export function isNumberless(purpose: PushPurpose): boolean {
  return purpose === "service_sign_in";
}

/**
 * Which sign-in a request belongs to (R-A1.6): a request answers only its own transaction. A
 * helpdesk verification is its own transaction: the request answers only that verification.
 */
export type PushBinding = { userId: string; transactionId: string; purpose: PushPurpose };

function bindingMatches(binding: PushBinding) {
  return and(
    eq(pushRequests.userId, binding.userId),
    eq(pushRequests.transactionId, binding.transactionId),
    eq(pushRequests.purpose, binding.purpose),
  );
}

/**
 * The two-digit number a request shows (R-A6.1): a keyed function of its random challenge, so
 * the browser can be shown it again while the database keeps only a keyed hash, and the phone —
 * which sees the challenge but not the key — cannot work it out.
 */
export function pushNumber(requestId: string, challenge: string): string {
  const mac = createHmac("sha256", getSecrets().authSecret)
    .update(`push-number\u0000${requestId}\u0000${challenge}`)
    .digest();
  return String(10 + (mac.readUInt32BE(0) % 90));
}

function hashNumber(requestId: string, number: string): string {
  return createHmac("sha256", getSecrets().authSecret)
    .update(`push-number-hash\u0000${requestId}\u0000${number}`)
    .digest("base64url");
}

export type StartPushResult =
  { ok: true; requestId: string } | { ok: false; reason: "limit" | "paused" | "unavailable" };

/** Who asks, when it is not the person (a helpdesk agent): audited as the actor, named on the phone. */
export type PushRequester = { id: string; displayName: string };

/** For a service sign-in: the service's name the phone shows, and how long the request waits. */
export type PushService = { name: string; ttlSeconds: number };

/**
 * Sends a number-matching request to the person's paired phones for one sign-in, within the
 * limits (R-A6.3): one outstanding request per account (the same sign-in asking again gets its
 * own request back), PUSH_REQUESTS_PER_WINDOW per PUSH_WINDOW_MS since the last success, none
 * for FRAUD_PAUSE_MS after "This wasn't me" (R-A6.4). Refusals are audited; the first refusal
 * of a window is told to the person.
 */
export async function startPushRequest(
  db: Db,
  user: { id: string; email: string; displayName: string },
  binding: PushBinding,
  context: RequestContext,
  requester?: PushRequester,
  service?: PushService,
): Promise<StartPushResult> {
  const origin = await lookupOrigin(context);
  const result = await db.transaction(async (tx): Promise<StartPushResult> => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`push:${user.id}`}))`);
    const audit = { actorId: requester?.id ?? user.id, subjectId: user.id, ...context };
    const [phones] = await tx
      .select({ n: count() })
      .from(companionDevices)
      .innerJoin(mfaMethods, eq(mfaMethods.id, companionDevices.methodId))
      .where(and(eq(companionDevices.userId, user.id), eq(mfaMethods.status, "active")));
    if (!phones?.n) return { ok: false, reason: "unavailable" };

    const refuse = async (reason: "limit" | "paused"): Promise<StartPushResult> => {
      const [earlier] = await tx
        .select({ n: count() })
        .from(auditLog)
        .where(
          and(
            eq(auditLog.subjectId, user.id),
            eq(auditLog.action, "mfa.push.refused"),
            gt(auditLog.at, databaseNowPlus(-PUSH_WINDOW_MS)),
          ),
        );
      await writeAudit(tx, {
        action: "mfa.push.refused",
        outcome: "denied",
        ...audit,
        details: { reason },
      });
      if (reason === "limit" && !earlier?.n)
        await queueSecurityNotice(tx, user, "push.limited", {
          ...context,
          location: describeLocation(origin.intel),
          device: describeDevice(origin.device),
        });
      return { ok: false, reason };
    };

    const [fraud] = await tx
      .select({ n: count() })
      .from(pushRequests)
      .where(
        and(
          eq(pushRequests.userId, user.id),
          eq(pushRequests.fraudReported, true),
          gt(pushRequests.answeredAt, databaseNowPlus(-FRAUD_PAUSE_MS)),
        ),
      );
    if (fraud?.n) return refuse("paused");

    const [outstanding] = await tx
      .select({ id: pushRequests.id, transactionId: pushRequests.transactionId })
      .from(pushRequests)
      .where(
        and(
          eq(pushRequests.userId, user.id),
          eq(pushRequests.status, "pending"),
          gt(pushRequests.expiresAt, sql`now()`),
        ),
      )
      .limit(1);
    if (outstanding) {
      return outstanding.transactionId === binding.transactionId
        ? { ok: true, requestId: outstanding.id }
        : refuse("limit");
    }

    // Requests since the window began or the last one that signed in, whichever is later.
    const lastSuccess = tx
      .select({ at: sql`max(${pushRequests.answeredAt})` })
      .from(pushRequests)
      .where(and(eq(pushRequests.userId, user.id), eq(pushRequests.status, "used")));
    const [recent] = await tx
      .select({ n: count() })
      .from(pushRequests)
      .where(
        and(
          eq(pushRequests.userId, user.id),
          gt(
            pushRequests.createdAt,
            sql`greatest(${databaseNowPlus(-PUSH_WINDOW_MS)}, (${lastSuccess}))`,
          ),
        ),
      );
    if ((recent?.n ?? 0) >= PUSH_REQUESTS_PER_WINDOW) return refuse("limit");

    const id = crypto.randomUUID();
    const challenge = randomBytes(32).toString("base64url");
    const env = getEnv();
    await tx.insert(pushRequests).values({
      id,
      ...binding,
      challenge,
      numberHash: hashNumber(id, isNumberless(binding.purpose) ? "" : pushNumber(id, challenge)),
      // A helpdesk request shows who is asking; the agent's own place and browser are no help
      // to the person and none of their business.
      context: requester
        ? { app: `${env.ORG_NAME} helpdesk`, helpdesk: requester.displayName }
        : {
            app: service?.name ?? `${env.ORG_NAME} sign-in`,
            location: describeLocation(origin.intel),
            ip: context.ip,
            device: describeDevice(origin.device),
          },
      expiresAt: databaseNowPlus((service?.ttlSeconds ?? env.PUSH_REQUEST_TTL_SECONDS) * 1000),
    });
    await writeAudit(tx, {
      action: "mfa.push.sent",
      outcome: "success",
      ...audit,
      details: { requestId: id, purpose: binding.purpose },
    });
    return { ok: true, requestId: id };
  });
  if (result.ok && webPushConfigured()) void wakePhones(db, user.id);
  return result;
}

/** Web Push to every subscribed phone of the person: a wake-up without content. */
async function wakePhones(db: Db, userId: string): Promise<void> {
  try {
    const rows = await db
      .select({ id: companionDevices.id, subscription: companionDevices.pushSubscription })
      .from(companionDevices)
      .where(eq(companionDevices.userId, userId));
    for (const row of rows) {
      if (!row.subscription) continue;
      const sent = await sendWakeUp(row.subscription as PushSubscription);
      if (sent === "gone")
        await db
          .update(companionDevices)
          .set({ pushSubscription: null })
          .where(eq(companionDevices.id, row.id));
    }
  } catch (error) {
    console.error(`Web Push failed: ${(error as Error).message}`);
  }
}

export type PushStatus = "pending" | "approved" | "denied" | "expired" | "gone";

function effectiveStatus(row: { status: string; expired: boolean }): PushStatus {
  if (row.status === "pending") return row.expired ? "expired" : "pending";
  if (row.status === "approved" || row.status === "denied" || row.status === "expired")
    return row.status;
  return "gone";
}

/** The newest request of a sign-in, with its number: what the waiting page shows. */
export async function getLatestPush(
  db: Executor,
  binding: PushBinding,
): Promise<{ id: string; number: string; status: PushStatus } | null> {
  const [row] = await db
    .select({
      id: pushRequests.id,
      challenge: pushRequests.challenge,
      status: pushRequests.status,
      expired: sql<boolean>`${pushRequests.expiresAt} <= now()`,
    })
    .from(pushRequests)
    .where(bindingMatches(binding))
    .orderBy(desc(pushRequests.createdAt))
    .limit(1);
  return row
    ? { id: row.id, number: pushNumber(row.id, row.challenge), status: effectiveStatus(row) }
    : null;
}

/**
 * How one request of a binding was answered, with whether the person said "This wasn't me":
 * what a helpdesk agent is shown.
 */
export async function getPushAnswer(
  db: Executor,
  binding: PushBinding,
  requestId: string,
): Promise<{ status: PushStatus; fraudReported: boolean; answeredAt: Date | null }> {
  if (!isUuid(requestId)) return { status: "gone", fraudReported: false, answeredAt: null };
  const [row] = await db
    .select({
      status: pushRequests.status,
      expired: sql<boolean>`${pushRequests.expiresAt} <= now()`,
      fraudReported: pushRequests.fraudReported,
      answeredAt: pushRequests.answeredAt,
    })
    .from(pushRequests)
    .where(and(bindingMatches(binding), eq(pushRequests.id, requestId)));
  return row
    ? { status: effectiveStatus(row), fraudReported: row.fraudReported, answeredAt: row.answeredAt }
    : { status: "gone", fraudReported: false, answeredAt: null };
}

/** How one request of a sign-in is going: what the browser polls. */
export async function getPushStatus(
  db: Executor,
  binding: PushBinding,
  requestId: string,
): Promise<PushStatus> {
  if (!isUuid(requestId)) return "gone";
  const [row] = await db
    .select({
      status: pushRequests.status,
      expired: sql<boolean>`${pushRequests.expiresAt} <= now()`,
    })
    .from(pushRequests)
    .where(and(bindingMatches(binding), eq(pushRequests.id, requestId)));
  return row ? effectiveStatus(row) : "gone";
}

/**
 * The requests waiting for a device's answer, newest first. A phone not yet confirmed gets none;
 * a phone sign-in request goes only to devices with phone sign-in turned on.
 */
export async function listPendingPushes(
  db: Executor,
  device: PairedDevice,
): Promise<PendingPush[]> {
  if (!device.active) return [];
  const rows = await db
    .select({
      id: pushRequests.id,
      challenge: pushRequests.challenge,
      purpose: pushRequests.purpose,
      context: pushRequests.context,
      createdAt: pushRequests.createdAt,
      expiresAt: pushRequests.expiresAt,
    })
    .from(pushRequests)
    .where(
      and(
        eq(pushRequests.userId, device.userId),
        eq(pushRequests.status, "pending"),
        gt(pushRequests.expiresAt, sql`now()`),
        device.phoneSignInEnabled ? undefined : ne(pushRequests.purpose, "phone_sign_in"),
      ),
    )
    .orderBy(desc(pushRequests.createdAt));
  return rows.map((row) => ({
    id: row.id,
    challenge: row.challenge,
    purpose: row.purpose,
    app: row.context.app ?? "Sign-in",
    location: row.context.location ?? "Unknown location",
    ip: row.context.ip ?? null,
    device: row.context.device ?? null,
    helpdesk: row.context.helpdesk ?? null,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
  }));
}

export type PushAnswer = {
  deviceId: string;
  requestId: string;
  decision: PushDecision;
  /** The number the person typed; empty when denying. */
  number: string;
  /** "This wasn't me". */
  fraud: boolean;
  /** The app PIN's proof, approving a phone sign-in request; empty or absent otherwise. */
  pinProof?: string;
  signature: string;
};

/** An answer's result; after a wrong PIN, how many are left before phone sign-in is turned off. */
export type AnswerOutcome = { result: AnswerResult; attemptsLeft?: number };

/** `answerPush`, when only the result matters. */
export async function answerPushRequest(
  db: Db,
  answer: PushAnswer,
  context: RequestContext,
): Promise<AnswerResult> {
  return (await answerPush(db, answer, context)).result;
}

/**
 * A device's answer to a request (R-A6.1–6.4). The signature must cover this request's challenge,
 * the typed number and, for phone sign-in, the app PIN's proof; the request must still be
 * pending and unexpired, so a late or replayed answer changes nothing (R-A6.2). A wrong number
 * denies the request. Approving a phone sign-in also needs the right app PIN, checked here
 * (`checkPhoneSignInPin`): a wrong one leaves the request waiting and counts, and too many turn
 * phone sign-in off for the device. "This wasn't me" records a fraud report, tells the person
 * and pauses requests for FRAUD_PAUSE_MS.
 */
export async function answerPush(
  db: Db,
  answer: PushAnswer,
  context: RequestContext,
): Promise<AnswerOutcome> {
  const outcome = (result: AnswerResult): AnswerOutcome => ({ result });
  if (
    !isUuid(answer.requestId) ||
    (answer.decision !== "approve" && answer.decision !== "deny") ||
    (answer.decision === "approve" && !/^(\d{2})?$/.test(answer.number)) ||
    (answer.decision === "deny" && answer.number !== "") ||
    (answer.pinProof !== undefined && typeof answer.pinProof !== "string")
  ) {
    return outcome("refused");
  }
  return db.transaction(async (tx): Promise<AnswerOutcome> => {
    const device = await getDevice(tx, answer.deviceId);
    if (!device?.active) return outcome("refused");
    const [request] = await tx
      .select({
        id: pushRequests.id,
        challenge: pushRequests.challenge,
        numberHash: pushRequests.numberHash,
        purpose: pushRequests.purpose,
        status: pushRequests.status,
        expired: sql<boolean>`${pushRequests.expiresAt} <= now()`,
      })
      .from(pushRequests)
      .where(and(eq(pushRequests.id, answer.requestId), eq(pushRequests.userId, device.userId)))
      .for("update");
    if (!request) return outcome("gone");
    const signed = verifyDeviceSignature(
      device.publicKey,
      answerMessage({ ...answer, challenge: request.challenge }),
      answer.signature,
    );
    const audit = { actorId: device.userId, subjectId: device.userId, ...context };
    if (!signed) {
      await writeAudit(tx, {
        action: "mfa.push.denied",
        outcome: "failure",
        ...audit,
        details: { requestId: request.id, reason: "bad_signature", deviceId: device.id },
      });
      return outcome("refused");
    }
    if (request.status !== "pending") return outcome("gone");
    // A request with a number is approved only with one typed (R-A6.1); one without, only without.
    if (answer.decision === "approve" && isNumberless(request.purpose) !== (answer.number === ""))
      return outcome("refused");
    // Phone sign-in stands in for the password: only a device where it is on may approve it.
    if (request.purpose === "phone_sign_in" && !device.phoneSignInEnabled)
      return outcome("refused");
    if (request.expired) {
      await tx
        .update(pushRequests)
        .set({ status: "expired" })
        .where(eq(pushRequests.id, request.id));
      return outcome("expired");
    }
    const settle = (patch: {
      status: "approved" | "denied";
      fraudReported?: boolean;
      wrongAnswers?: SQL;
    }) =>
      tx
        .update(pushRequests)
        .set({ deviceId: device.id, answeredAt: sql`now()`, ...patch })
        .where(and(eq(pushRequests.id, request.id), eq(pushRequests.status, "pending")));

    if (answer.decision === "approve") {
      if (safeEqual(hashNumber(request.id, answer.number), request.numberHash)) {
        if (request.purpose === "phone_sign_in") {
          // The device's own unlock, checked here: the phone keeps nothing to check it with.
          const pin = await checkPhoneSignInPin(
            tx,
            device.id,
            answer.pinProof ?? "",
            { during: "approval", requestId: request.id },
            context,
          );
          if (pin.result === "wrong")
            return { result: "wrong-pin", attemptsLeft: pin.attemptsLeft };
          if (pin.result === "locked") {
            // Nobody can approve from this phone any more: the waiting browser learns it now.
            await settle({ status: "denied" });
            return outcome("pin-locked");
          }
          if (pin.result !== "ok") return outcome("refused");
        }
        await settle({ status: "approved" });
        await writeAudit(tx, {
          action: "mfa.push.approved",
          outcome: "success",
          ...audit,
          details: { requestId: request.id, deviceId: device.id },
        });
        return outcome("approved");
      }
      await settle({ status: "denied", wrongAnswers: sql`${pushRequests.wrongAnswers} + 1` });
      await writeAudit(tx, {
        action: "mfa.push.denied",
        outcome: "failure",
        ...audit,
        details: { requestId: request.id, reason: "wrong_number", deviceId: device.id },
      });
      return outcome("wrong-number");
    }
    await settle({ status: "denied", fraudReported: answer.fraud });
    await writeAudit(tx, {
      action: answer.fraud ? "mfa.push.fraud_reported" : "mfa.push.denied",
      outcome: answer.fraud ? "denied" : "success",
      ...audit,
      details: { requestId: request.id, reason: "denied", deviceId: device.id },
    });
    if (answer.fraud) {
      const [user] = await tx
        .select({ id: users.id, email: users.email, displayName: users.displayName })
        .from(users)
        .where(eq(users.id, device.userId));
      if (user) {
        const notice =
          request.purpose === "helpdesk_verification"
            ? "push.helpdesk_reported"
            : "push.fraud_reported";
        await queueSecurityNotice(tx, user, notice, context);
      }
    }
    return outcome("denied");
  });
}

/**
 * Uses up an approved request for its sign-in, once: two tabs finishing the same sign-in get one
 * success between them. Returns the answering phone's method id.
 */
export async function consumeApprovedPush(
  db: Executor,
  binding: PushBinding,
  requestId: string,
): Promise<string | null> {
  if (!isUuid(requestId)) return null;
  const [row] = await db
    .update(pushRequests)
    .set({ status: "used" })
    .where(
      and(
        bindingMatches(binding),
        eq(pushRequests.id, requestId),
        eq(pushRequests.status, "approved"),
        // Phone sign-in turned off between the approval and this step takes the approval with
        // it: the person said this phone may no longer sign them in.
        or(
          ne(pushRequests.purpose, "phone_sign_in"),
          sql`exists (select 1 from ${companionDevices} where ${companionDevices.id} = ${pushRequests.deviceId} and ${companionDevices.phoneSignInEnabled})`,
        ),
      ),
    )
    .returning({ deviceId: pushRequests.deviceId });
  if (!row?.deviceId) return null;
  const [method] = await db
    .update(mfaMethods)
    .set({ lastUsedAt: sql`now()` })
    .where(
      sql`${mfaMethods.id} = (select ${companionDevices.methodId} from ${companionDevices} where ${companionDevices.id} = ${row.deviceId})`,
    )
    .returning({ id: mfaMethods.id });
  return method?.id ?? null;
}

/** Removes requests and pairing links a day past their time; the limits look back an hour at most. */
export async function purgeCompanionRows(db: Executor): Promise<void> {
  const dayAgo = sql`now() - interval '1 day'`;
  await db.delete(pushRequests).where(lt(pushRequests.expiresAt, dayAgo));
  await db.delete(companionPairings).where(lt(companionPairings.expiresAt, dayAgo));
}
