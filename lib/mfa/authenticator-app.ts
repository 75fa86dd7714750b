import { and, eq, inArray } from "drizzle-orm";
import type { Executor } from "@/lib/db/client";
import { mfaMethods } from "@/lib/db/schema";
import { seal, unseal } from "@/lib/security/sealing";
import {
  activatePendingDevice,
  claimCode,
  countCodeDevices,
  findPendingDevice,
  openDeviceSecret,
  type CodeCheck,
} from "./code-devices";
import { methodAdded, refused, type Activation, type EnrolmentResult } from "./enrolment-result";
import { limitFor, METHOD_KIND_INFO } from "./registry";
import { newTotpSecret, totpUri } from "./totp";
import { databaseNowPlus } from "@/lib/db/time";

// Authenticator apps (TOTP, R-A4). Each device is its own method row with its own secret.

const KIND = "authenticator_app";
const ENROLMENT_TTL_MS = 30 * 60_000;
/** What a user may call a device. */
export const DEVICE_NAME_MAX = 40;

/** Starts an enrolment: a pending method with a fresh sealed secret. */
export async function beginAuthenticatorEnrolment(
  db: Executor,
  userId: string,
  label: string,
): Promise<EnrolmentResult<string>> {
  if ((await countCodeDevices(db, userId)) >= limitFor(KIND)) return refused("limit_reached");
  // One enrolment at a time: a restarted wizard replaces the abandoned one.
  await db
    .delete(mfaMethods)
    .where(and(eq(mfaMethods.userId, userId), eq(mfaMethods.status, "pending")));
  const id = crypto.randomUUID();
  await db.insert(mfaMethods).values({
    id,
    userId,
    kind: KIND,
    label: label.trim().slice(0, DEVICE_NAME_MAX) || "Authenticator app",
    status: "pending",
    secretSealed: seal(newTotpSecret(), id),
    expiresAt: databaseNowPlus(ENROLMENT_TTL_MS),
  });
  return { ok: true, value: id };
}

export type PendingEnrolment = { id: string; label: string; secret: string; uri: string };

/** The user's enrolment in progress with its secret — shown only until confirmed (R-A4.4). */
export async function getPendingEnrolment(
  db: Executor,
  userId: string,
  identity: { issuer: string; account: string },
): Promise<PendingEnrolment | null> {
  const row = await findPendingDevice(db, userId, KIND);
  if (!row) return null;
  const secret = unseal(row.secretSealed, row.id);
  return { id: row.id, label: row.label, secret, uri: totpUri({ ...identity, secret }) };
}

/** Confirms the pending enrolment with a code from the app; the first method becomes the default. */
export async function confirmAuthenticatorEnrolment(
  db: Executor,
  userId: string,
  code: string,
): Promise<EnrolmentResult<Activation>> {
  const activated = await activatePendingDevice(db, userId, KIND, code);
  if (!activated) return refused("wrong_code");
  return {
    ok: true,
    value: methodAdded(KIND, activated.methodId, METHOD_KIND_INFO[KIND].listName),
  };
}

/** Checks a code against each of the user's authenticator apps, claiming its step (R-A4.3). */
export async function verifyAuthenticatorCode(
  db: Executor,
  userId: string,
  code: string,
): Promise<CodeCheck> {
  const devices = await db
    .select({
      id: mfaMethods.id,
      secretSealed: mfaMethods.secretSealed,
      lastUsedStep: mfaMethods.lastUsedStep,
    })
    .from(mfaMethods)
    .where(
      and(
        eq(mfaMethods.userId, userId),
        // A phone paired with the companion app shows codes too (lib/mfa/companion-pairing.ts).
        inArray(mfaMethods.kind, [KIND, "companion_app"]),
        eq(mfaMethods.status, "active"),
      ),
    );
  return claimCode(
    db,
    devices.map((device) => ({
      methodId: device.id,
      secret: openDeviceSecret(device.secretSealed, device.id, "authenticator"),
      lastUsedStep: device.lastUsedStep,
    })),
    code,
  );
}
