import { randomBytes } from "node:crypto";
import { and, count, eq, gt, isNull, sql } from "drizzle-orm";
import { writeAudit } from "@/lib/audit/log";
import type { Db, Executor } from "@/lib/db/client";
import { companionDevices, companionPairings, mfaMethods, users } from "@/lib/db/schema";
import { getEnv } from "@/lib/env";
import { seal } from "@/lib/security/sealing";
import { hashToken } from "@/lib/security/tokens";
import { pairingMessage } from "./companion-protocol";
import { activatePendingDevice } from "./code-devices";
import { methodAdded, refused, type Activation, type EnrolmentResult } from "./enrolment-result";
import { limitFor, methodName } from "./registry";
import { getMethodSummary, getOwnMethod } from "./methods";
import { removeOwnMethod } from "./removal";
import { newTotpSecret } from "./totp";
import { BASE64URL, parseDevicePublicKey, verifyDeviceSignature } from "./companion-device";
import type { RequestContext } from "@/lib/types/request";
import type { Result } from "@/lib/types/result";
import { databaseNowPlus } from "@/lib/db/time";

// Pairing a phone with the companion authenticator (R-A6.5): a one-time link the phone answers
// with its public key, then the code it shows, entered in the browser. Each paired phone is a
// method of kind companion_app.

const KIND = "companion_app";
/** How long a pairing link (the QR code) can be used. */
export const PAIRING_TTL_MS = 10 * 60_000;
/** How long a paired phone waits for its code to be entered in the browser. */
const ENROLMENT_TTL_MS = 30 * 60_000;
const DEVICE_NAME_MAX = 40;

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
  const [row] = await db
    .insert(companionPairings)
    .values({ id: hashToken(token), userId, expiresAt: databaseNowPlus(PAIRING_TTL_MS) })
    .returning({ expiresAt: companionPairings.expiresAt });
  return { ok: true, value: { token, link: pairingLink(token), expiresAt: row!.expiresAt } };
}

export type PairingInput = { token: string; publicKey: string; name: string; signature: string };
export type PairingResult = Result<
  { deviceId: string; secret: string; issuer: string; account: string },
  "invalid_pairing"
>;

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
    return { ok: false, reason: "invalid_pairing" };
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
    if (!pairing) return { ok: false, reason: "invalid_pairing" } as const;
    const [user] = await tx
      .select({ email: users.email })
      .from(users)
      .where(eq(users.id, pairing.userId));
    if (!user || (await countPhones(tx, pairing.userId)) >= limitFor(KIND))
      return { ok: false, reason: "invalid_pairing" } as const;
    const methodId = crypto.randomUUID();
    const secret = newTotpSecret();
    await tx.insert(mfaMethods).values({
      id: methodId,
      userId: pairing.userId,
      kind: KIND,
      label: name,
      status: "pending",
      secretSealed: seal(secret, methodId),
      expiresAt: databaseNowPlus(ENROLMENT_TTL_MS),
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
    value: methodAdded(KIND, paired.methodId, methodName({ kind: KIND, label: paired.label })),
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
    return (
      (await removeOwnMethod(tx, user, old.id, context, { newDefaultId: staying.id })) === "deleted"
    );
  });
}
