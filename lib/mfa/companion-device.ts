import { createPublicKey, verify as verifySignature, type KeyObject } from "node:crypto";
import { and, eq, isNull, lt, or } from "drizzle-orm";
import { z } from "zod";
import type { Executor } from "@/lib/db/client";
import { companionDevices, mfaMethods } from "@/lib/db/schema";
import { deviceCallMessage, type DeviceCall } from "./companion-protocol";
import { type PushSubscription } from "./web-push";
import { isUuid } from "@/lib/security/ids";
import { clock } from "@/lib/clock";

// A paired phone of the companion authenticator (R-A6): an ECDSA P-256 key that never leaves it,
// of which the server keeps only the public half (R-A6.5), and the signed calls it makes.

/** How far a device's clock may be from ours for a signed call. */
const CLOCK_SKEW_MS = 5 * 60_000;

/** The alphabet of every token, key and signature a phone sends. */
export const BASE64URL = /^[A-Za-z0-9_-]+$/;

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

export async function getDevice(db: Executor, deviceId: string): Promise<PairedDevice | null> {
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
  if (Math.abs(parsed.timestamp - clock.ms()) > CLOCK_SKEW_MS) return null;
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
