import { and, eq, sql } from "drizzle-orm";
import { writeAudit } from "@/lib/audit/log";
import { hashPassword, verifyPassword } from "@/lib/security/password";
import { PIN_MAX_FAILURES } from "@/lib/settings/policy";
import type { RequestContext } from "@/lib/types/request";
import type { Db, Executor } from "@/lib/db/client";
import { companionDevices, mfaMethods, users } from "@/lib/db/schema";
import { queueSecurityNotice, type NoticeEvent } from "@/lib/notify/security-notice";
import type { PairedDevice } from "./companion-device";
import { PIN_PROOF_PATTERN, type PinOutcome } from "./companion-protocol";

// Phone sign-in's switch and its app PIN. Turning it on needs the person's password as well as
// the device key. The phone never keeps anything a PIN can be checked against: it turns the PIN
// into a proof (PBKDF2-SHA-256, salted with its device id) and sends that inside calls its key
// signs; the server keeps only an argon2id hash of the proof and counts wrong PINs.
// PIN_MAX_FAILURES wrong in a row turn phone sign-in off for the device.

/** Whether a value has the shape of a PIN proof (it says nothing about whether it is right). */
export function isPinProof(value: unknown): value is string {
  return typeof value === "string" && PIN_PROOF_PATTERN.test(value);
}

async function owner(db: Executor, device: Pick<PairedDevice, "userId" | "methodId">) {
  const [row] = await db
    .select({
      id: users.id,
      email: users.email,
      displayName: users.displayName,
      label: mfaMethods.label,
    })
    .from(users)
    .innerJoin(mfaMethods, eq(mfaMethods.id, device.methodId))
    .where(eq(users.id, device.userId));
  return row ?? null;
}

/** Tells the owner of a paired device about a change to its phone sign-in. */
export async function tellDeviceOwner(
  db: Executor,
  device: Pick<PairedDevice, "userId" | "methodId">,
  event: NoticeEvent,
  context: RequestContext,
): Promise<void> {
  const person = await owner(db, device);
  if (person) await queueSecurityNotice(db, person, event, context, person.label);
}

/**
 * Turns phone sign-in off for one paired device, from a call it signed. Nothing else is asked:
 * it only takes capability away. The PIN hash is forgotten; turning it on again sets a new PIN.
 * Audited, and the person is told (R-A15.1).
 */
export async function disablePhoneSignIn(
  db: Db,
  device: PairedDevice,
  context: RequestContext,
): Promise<void> {
  await db.transaction(async (tx) => {
    const [changed] = await tx
      .update(companionDevices)
      .set({ phoneSignInEnabled: false, pinHash: null, pinFailures: 0 })
      .where(and(eq(companionDevices.id, device.id), eq(companionDevices.phoneSignInEnabled, true)))
      .returning({ id: companionDevices.id });
    if (!changed) return;
    await writeAudit(tx, {
      action: "mfa.companion.phone_sign_in_disabled",
      outcome: "success",
      actorId: device.userId,
      subjectId: device.userId,
      ...context,
      details: { deviceId: device.id, methodId: device.methodId },
    });
    await tellDeviceOwner(tx, device, "phone_sign_in.disabled", context);
  });
}

/** Where a PIN was entered, for the audit record. */
export type PinUse = { during: "approval"; requestId: string } | { during: "pin_change" };

/**
 * Checks the app PIN of a device with phone sign-in on, inside the caller's transaction. The
 * device's row is locked first, so parallel guesses wait for each other and every one counts.
 * A right PIN clears the count; a wrong one adds to it and is audited; the PIN_MAX_FAILURES-th
 * in a row turns phone sign-in off, forgets the hash, is audited and told to the person.
 * "off": phone sign-in is not on for the device (nothing was checked or counted).
 */
export async function checkPhoneSignInPin(
  tx: Executor,
  deviceId: string,
  pinProof: string,
  use: PinUse,
  context: RequestContext,
): Promise<PinOutcome> {
  const [row] = await tx
    .select({
      id: companionDevices.id,
      userId: companionDevices.userId,
      methodId: companionDevices.methodId,
      enabled: companionDevices.phoneSignInEnabled,
      pinHash: companionDevices.pinHash,
      failures: companionDevices.pinFailures,
    })
    .from(companionDevices)
    .where(eq(companionDevices.id, deviceId))
    .for("update");
  if (!row?.enabled || !row.pinHash) return { result: "off" };
  // A missing or malformed proof is a wrong PIN: the app always sends one.
  if (isPinProof(pinProof) && (await verifyPassword(row.pinHash, pinProof))) {
    if (row.failures > 0)
      await tx
        .update(companionDevices)
        .set({ pinFailures: 0 })
        .where(eq(companionDevices.id, row.id));
    return { result: "ok" };
  }
  const failures = row.failures + 1;
  const audit = { actorId: row.userId, subjectId: row.userId, ...context };
  await writeAudit(tx, {
    action: "mfa.companion.pin_failed",
    outcome: "failure",
    ...audit,
    details: { deviceId: row.id, failures, ...use },
  });
  if (failures < PIN_MAX_FAILURES) {
    await tx
      .update(companionDevices)
      .set({ pinFailures: sql`${companionDevices.pinFailures} + 1` })
      .where(eq(companionDevices.id, row.id));
    return { result: "wrong", attemptsLeft: PIN_MAX_FAILURES - failures };
  }
  await tx
    .update(companionDevices)
    .set({ phoneSignInEnabled: false, pinHash: null, pinFailures: 0 })
    .where(eq(companionDevices.id, row.id));
  await writeAudit(tx, {
    action: "mfa.companion.phone_sign_in_locked",
    outcome: "denied",
    ...audit,
    details: { deviceId: row.id, methodId: row.methodId, failures },
  });
  await tellDeviceOwner(tx, row, "phone_sign_in.locked", context);
  return { result: "locked" };
}

/**
 * "Change app PIN" on the phone: the current PIN, checked and counted as at an approval, then
 * the new PIN's proof replaces the hash. Audited and told to the person.
 */
export async function changePhoneSignInPin(
  db: Db,
  device: PairedDevice,
  currentProof: string | undefined,
  newProof: string | undefined,
  context: RequestContext,
): Promise<PinOutcome> {
  if (!device.active || !device.phoneSignInEnabled) return { result: "off" };
  if (!isPinProof(newProof)) return { result: "off" };
  // Hashed before the transaction so the device's row lock is held briefly; a wrong current
  // PIN wastes the hash, but it is counted, and five end phone sign-in.
  const newHash = await hashPassword(newProof);
  return db.transaction(async (tx) => {
    const checked = await checkPhoneSignInPin(
      tx,
      device.id,
      currentProof ?? "",
      { during: "pin_change" },
      context,
    );
    if (checked.result !== "ok") return checked;
    await tx
      .update(companionDevices)
      .set({ pinHash: newHash, pinFailures: 0 })
      .where(eq(companionDevices.id, device.id));
    await writeAudit(tx, {
      action: "mfa.companion.pin_changed",
      outcome: "success",
      actorId: device.userId,
      subjectId: device.userId,
      ...context,
      details: { deviceId: device.id, methodId: device.methodId },
    });
    await tellDeviceOwner(tx, device, "phone_sign_in.pin_changed", context);
    return { result: "changed" };
  });
}
