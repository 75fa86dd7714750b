import {
  createHmac,
  createPublicKey,
  randomBytes,
  verify as verifySignature,
  type KeyObject,
} from "node:crypto";
import { and, count, desc, eq, gt, isNull, lt, or, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
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
import { seal } from "@/lib/security/sealing";
import { hashToken, safeEqual } from "@/lib/security/tokens";
import {
  answerMessage,
  deviceCallMessage,
  pairingMessage,
  type AnswerResult,
  type DeviceCall,
  type PendingPush,
  type PushDecision,
} from "./companion-protocol";
import { checkPhoneSignInPin } from "./phone-sign-in";
import { activatePendingDevice } from "./code-devices";
import { methodAdded, refused, type Activation, type EnrolmentResult } from "./enrolment-result";
import { limitFor, METHOD_KIND_INFO } from "./registry";
import { getMethodSummary, getOwnMethod } from "./methods";
import { removeOwnMethod } from "./removal";
import { newTotpSecret } from "./totp";
import { sendWakeUp, webPushConfigured, type PushSubscription } from "./web-push";
import { isUuid } from "@/lib/security/ids";
import type { RequestContext } from "@/lib/types/request";

// The companion authenticator (R-A6): phones paired through a one-time link keep an ECDSA P-256
// key that never leaves them; the server keeps only its public key (R-A6.5). Each paired phone is
// a method of kind companion_app that answers number-matching push requests and shows codes.

const KIND = "companion_app";
/** How long a pairing link (the QR code) can be used. */
export const PAIRING_TTL_MS = 10 * 60_000;
/** How long a paired phone waits for its code to be entered in the browser. */
const ENROLMENT_TTL_MS = 30 * 60_000;
/** R-A6.3: at most this many requests per account in PUSH_WINDOW_MS since the last success. */
export const PUSH_REQUESTS_PER_WINDOW = 3;
export const PUSH_WINDOW_MS = 10 * 60_000;
/** R-A6.4: "This wasn't me" pauses requests for this long. */
export const FRAUD_PAUSE_MS = 60 * 60_000;
/** How far a device's clock may be from ours for a signed call. */
const CLOCK_SKEW_MS = 5 * 60_000;
const DEVICE_NAME_MAX = 40;

const BASE64URL = /^[A-Za-z0-9_-]+$/;

// ── keys and signatures ─────────────────────────────────────────────────────

/** A device's public key from its SPKI (base64url), or null unless it is an EC P-256 key. */
export function parseDevicePublicKey(spki: string): KeyObject | null {
  if (!BASE64URL.test(spki) || spki.length > 200) return null;
  try {
    const key = createPublicKey({
      key: Buffer.from(spki, "base64url"),
      format: "der",
      type: "spki",
    });
    return key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1"
      ? key
      : null;
  } catch {
    return null;
  }
}

/**
 * Whether `signature` (base64url, the r‖s form WebCrypto produces) is the device key's ECDSA
 * P-256 / SHA-256 signature of `message`. Anything malformed is simply false.
 */
export function verifyDeviceSignature(
  publicKey: KeyObject | string,
  message: string,
  signature: string,
): boolean {
  const key = typeof publicKey === "string" ? parseDevicePublicKey(publicKey) : publicKey;
  if (!key || !BASE64URL.test(signature) || signature.length > 200) return false;
  try {
    return verifySignature(
      "sha256",
      Buffer.from(message, "utf8"),
      { key, dsaEncoding: "ieee-p1363" },
      Buffer.from(signature, "base64url"),
    );
  } catch {
    return false;
  }
}

// ── pairing ─────────────────────────────────────────────────────────────────

async function countPhones(db: Executor, userId: string): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(mfaMethods)
    .where(
      and(
        eq(mfaMethods.userId, userId),
        eq(mfaMethods.kind, KIND),
        eq(mfaMethods.status, "active"),
      ),
    );
  return row?.n ?? 0;
}

/** The link the QR code holds; the token rides in the fragment, so no server log or Referer sees it (R-A12.11). */
export function pairingLink(token: string): string {
  return `${getEnv().PUBLIC_URL}/authenticator/pair#${token}`;
}

/**
 * Starts pairing a phone for a registrant (a fresh session or a sign-in that must register):
 * a one-time link valid for PAIRING_TTL_MS. Earlier unused links and a half-paired phone go.
 */
export async function beginPairing(
  db: Executor,
  userId: string,
): Promise<EnrolmentResult<{ token: string; link: string; expiresAt: Date }>> {
  if ((await countPhones(db, userId)) >= limitFor(KIND)) return refused("limit_reached");
  await db
    .delete(companionPairings)
    .where(and(eq(companionPairings.userId, userId), isNull(companionPairings.usedAt)));
  await db
    .delete(mfaMethods)
    .where(
      and(
        eq(mfaMethods.userId, userId),
        eq(mfaMethods.kind, KIND),
        eq(mfaMethods.status, "pending"),
      ),
    );
  const token = randomBytes(32).toString("base64url");
  const expiresAt = new Date(Date.now() + PAIRING_TTL_MS);
  await db.insert(companionPairings).values({ id: hashToken(token), userId, expiresAt });
  return { ok: true, value: { token, link: pairingLink(token), expiresAt } };
}

export type PairingInput = { token: string; publicKey: string; name: string; signature: string };
export type PairingResult =
  { ok: true; deviceId: string; secret: string; issuer: string; account: string } | { ok: false };

/**
 * The phone's side of pairing: proves it holds the key it registers (a signature over the
 * token), spends the link once, and becomes a pending method. The TOTP secret goes to the phone
 * in this one answer and is never shown again (R-A3.4); the method becomes active only when a
 * code from the phone is entered in the browser that showed the link (R-A4.4, R-A9.2).
 */
export async function completePairing(
  db: Db,
  input: PairingInput,
  context: RequestContext = { ip: null, userAgent: null },
): Promise<PairingResult> {
  const key = parseDevicePublicKey(input.publicKey);
  if (
    !key ||
    typeof input.token !== "string" ||
    !BASE64URL.test(input.token) ||
    input.token.length !== 43 ||
    !verifyDeviceSignature(key, pairingMessage(input.token), input.signature)
  ) {
    return { ok: false };
  }
  const name = input.name.trim().slice(0, DEVICE_NAME_MAX) || "Phone";
  return db.transaction(async (tx) => {
    const [pairing] = await tx
      .update(companionPairings)
      .set({ usedAt: sql`now()` })
      .where(
        and(
          eq(companionPairings.id, hashToken(input.token)),
          isNull(companionPairings.usedAt),
          gt(companionPairings.expiresAt, sql`now()`),
        ),
      )
      .returning({ userId: companionPairings.userId });
    if (!pairing) return { ok: false } as const;
    const [user] = await tx
      .select({ email: users.email })
      .from(users)
      .where(eq(users.id, pairing.userId));
    if (!user || (await countPhones(tx, pairing.userId)) >= limitFor(KIND))
      return { ok: false } as const;
    const methodId = crypto.randomUUID();
    const secret = newTotpSecret();
    await tx.insert(mfaMethods).values({
      id: methodId,
      userId: pairing.userId,
      kind: KIND,
      label: name,
      status: "pending",
      secretSealed: seal(secret, methodId),
      expiresAt: new Date(Date.now() + ENROLMENT_TTL_MS),
    });
    const [device] = await tx
      .insert(companionDevices)
      .values({
        methodId,
        userId: pairing.userId,
        // Stored in its canonical form, re-exported from the parsed key.
        publicKey: key.export({ format: "der", type: "spki" }).toString("base64url"),
      })
      .returning({ id: companionDevices.id });
    await writeAudit(tx, {
      action: "mfa.companion.paired",
      outcome: "success",
      actorId: pairing.userId,
      subjectId: pairing.userId,
      ...context,
      details: { deviceId: device!.id, methodId },
    });
    return {
      ok: true,
      deviceId: device!.id,
      secret,
      issuer: getEnv().ORG_NAME,
      account: user.email,
    } as const;
  });
}

export type PairingState = "waiting" | "paired" | "expired";

/** What the browser showing the QR code waits for: the phone to pair, within the link's time. */
export async function getPairingState(db: Executor, userId: string): Promise<PairingState> {
  const [pending] = await db
    .select({ id: mfaMethods.id })
    .from(mfaMethods)
    .innerJoin(companionDevices, eq(companionDevices.methodId, mfaMethods.id))
    .where(
      and(
        eq(mfaMethods.userId, userId),
        eq(mfaMethods.kind, KIND),
        eq(mfaMethods.status, "pending"),
        gt(mfaMethods.expiresAt, sql`now()`),
      ),
    );
  if (pending) return "paired";
  const [link] = await db
    .select({ id: companionPairings.id })
    .from(companionPairings)
    .where(
      and(
        eq(companionPairings.userId, userId),
        isNull(companionPairings.usedAt),
        gt(companionPairings.expiresAt, sql`now()`),
      ),
    );
  return link ? "waiting" : "expired";
}

/**
 * Confirms a paired phone with a code it shows: the method becomes active, the code's step is
 * used up (R-A4.4), and it is the default when the person has none.
 */
export async function confirmPairedPhone(
  db: Executor,
  userId: string,
  code: string,
): Promise<EnrolmentResult<Activation>> {
  const paired = await activatePendingDevice(db, userId, KIND, code);
  if (!paired) return refused("wrong_code");
  return {
    ok: true,
    value: methodAdded(KIND, paired.methodId, `${METHOD_KIND_INFO[KIND].listName} ${paired.label}`),
  };
}

/** The person's other paired phones, oldest first: what "Remove your old phone?" offers. */
export async function listOtherPhones(
  db: Executor,
  userId: string,
  exceptMethodId: string,
): Promise<{ id: string; label: string; createdAt: Date }[]> {
  const rows = await db
    .select({ id: mfaMethods.id, label: mfaMethods.label, createdAt: mfaMethods.createdAt })
    .from(mfaMethods)
    .where(
      and(
        eq(mfaMethods.userId, userId),
        eq(mfaMethods.kind, KIND),
        eq(mfaMethods.status, "active"),
      ),
    )
    .orderBy(mfaMethods.createdAt);
  return rows.filter((row) => row.id !== exceptMethodId);
}

// ── signed calls from a device ──────────────────────────────────────────────

export type PairedDevice = {
  id: string;
  userId: string;
  methodId: string;
  active: boolean;
  publicKey: string;
  /** Whether the person turned on phone sign-in (passwordless) on this device. */
  phoneSignInEnabled: boolean;
};

async function getDevice(db: Executor, deviceId: string): Promise<PairedDevice | null> {
  if (!isUuid(deviceId)) return null;
  const [row] = await db
    .select({
      id: companionDevices.id,
      userId: companionDevices.userId,
      methodId: companionDevices.methodId,
      status: mfaMethods.status,
      publicKey: companionDevices.publicKey,
      phoneSignInEnabled: companionDevices.phoneSignInEnabled,
    })
    .from(companionDevices)
    .innerJoin(mfaMethods, eq(mfaMethods.id, companionDevices.methodId))
    .where(eq(companionDevices.id, deviceId));
  return row ? { ...row, active: row.status === "active" } : null;
}

const deviceCallSchema = z.object({
  deviceId: z.string().refine(isUuid),
  timestamp: z.number().int().positive(),
  action: z.enum([
    "requests",
    "subscribe",
    "unsubscribe",
    "phone_sign_in_on",
    "phone_sign_in_off",
    "pin_change",
  ]),
  subscription: z
    .object({
      endpoint: z.string().max(1000),
      keys: z.record(z.string(), z.string().max(200)).optional(),
    })
    .nullish(),
  pinProof: z.string().max(100).optional(),
  newPinProof: z.string().max(100).optional(),
  password: z.string().max(1024).optional(),
});

/**
 * Authenticates a call from a paired device: its key signed the exact body, the timestamp is
 * near our clock and later than the device's previous call — claimed with one conditional
 * UPDATE, so a replayed or reordered call is refused (R-A6.1's authenticated channel).
 */
export async function authenticateDeviceCall(
  db: Executor,
  bodyText: string,
  signature: string,
): Promise<{ device: PairedDevice; call: DeviceCall } | null> {
  if (bodyText.length > 4000) return null;
  let parsed: z.infer<typeof deviceCallSchema>;
  try {
    const result = deviceCallSchema.safeParse(JSON.parse(bodyText));
    if (!result.success) return null;
    parsed = result.data;
  } catch {
    return null;
  }
  if (Math.abs(parsed.timestamp - Date.now()) > CLOCK_SKEW_MS) return null;
  const device = await getDevice(db, parsed.deviceId);
  if (!device || !verifyDeviceSignature(device.publicKey, deviceCallMessage(bodyText), signature))
    return null;
  const at = new Date(parsed.timestamp);
  const claimed = await db
    .update(companionDevices)
    .set({ lastSeenAt: at })
    .where(
      and(
        eq(companionDevices.id, device.id),
        or(isNull(companionDevices.lastSeenAt), lt(companionDevices.lastSeenAt, at)),
      ),
    )
    .returning({ id: companionDevices.id });
  return claimed.length === 1 ? { device, call: parsed } : null;
}

/** Saves (or forgets) where Web Push reaches this device. */
export async function setDeviceSubscription(
  db: Executor,
  device: PairedDevice,
  subscription: PushSubscription | null,
): Promise<void> {
  await db
    .update(companionDevices)
    .set({ pushSubscription: subscription })
    .where(eq(companionDevices.id, device.id));
}

// ── push requests ───────────────────────────────────────────────────────────

export type PushPurpose = "second_factor" | "phone_sign_in";

/** Which sign-in a request belongs to (R-A1.6): a request answers only its own transaction. */
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
): Promise<StartPushResult> {
  const origin = await lookupOrigin(context);
  const result = await db.transaction(async (tx): Promise<StartPushResult> => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`push:${user.id}`}))`);
    const audit = { actorId: user.id, subjectId: user.id, ...context };
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
            gt(auditLog.at, new Date(Date.now() - PUSH_WINDOW_MS)),
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
          gt(pushRequests.answeredAt, new Date(Date.now() - FRAUD_PAUSE_MS)),
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

    const [lastSuccess] = await tx
      .select({ at: sql<string | null>`max(${pushRequests.answeredAt})` })
      .from(pushRequests)
      .where(and(eq(pushRequests.userId, user.id), eq(pushRequests.status, "used")));
    const since = Math.max(
      Date.now() - PUSH_WINDOW_MS,
      lastSuccess?.at ? new Date(lastSuccess.at).getTime() : 0,
    );
    const [recent] = await tx
      .select({ n: count() })
      .from(pushRequests)
      .where(and(eq(pushRequests.userId, user.id), gt(pushRequests.createdAt, new Date(since))));
    if ((recent?.n ?? 0) >= PUSH_REQUESTS_PER_WINDOW) return refuse("limit");

    const id = crypto.randomUUID();
    const challenge = randomBytes(32).toString("base64url");
    const env = getEnv();
    await tx.insert(pushRequests).values({
      id,
      ...binding,
      challenge,
      numberHash: hashNumber(id, pushNumber(id, challenge)),
      context: {
        app: `${env.ORG_NAME} sign-in`,
        location: describeLocation(origin.intel),
        ip: context.ip,
        device: describeDevice(origin.device),
      },
      expiresAt: new Date(Date.now() + env.PUSH_REQUEST_TTL_SECONDS * 1000),
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
        device.phoneSignInEnabled ? undefined : eq(pushRequests.purpose, "second_factor"),
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
    (answer.decision === "approve" && !/^\d{2}$/.test(answer.number)) ||
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
      if (user) await queueSecurityNotice(tx, user, "push.fraud_reported", context);
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
          eq(pushRequests.purpose, "second_factor"),
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

/**
 * "Remove your old phone?" → "Remove": moving to a new phone is pairing it, then removing the old
 * one (R-A4.5), so an app goes only while another stays, and the one that stays becomes the
 * default if the old one was. False when there is nothing of the person's to remove.
 */
export async function removeReplacedCompanion(
  db: Executor,
  user: { id: string; email: string; displayName: string; mfaRequired: boolean },
  methodId: string,
  context: RequestContext,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const old = await getOwnMethod(tx, user.id, methodId);
    if (old?.kind !== "companion_app") return false;
    const { methods } = await getMethodSummary(tx, user.id);
    const staying = methods.find((m) => m.kind === "companion_app" && m.id !== old.id);
    if (!staying) return false;
    return (await removeOwnMethod(tx, user, old.id, context, staying.id)) === "deleted";
  });
}
