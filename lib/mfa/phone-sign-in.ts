import { and, eq, sql } from "drizzle-orm";
import { writeAudit } from "@/lib/audit/log";
import {
  hashPassword,
  PASSWORD_MAX_LENGTH,
  verifyAgainstDummy,
  verifyPassword,
} from "@/lib/security/password";
import { passwordThrottlePolicies, PIN_MAX_FAILURES } from "@/lib/settings/policy";
import type { Db, Executor } from "@/lib/db/client";
import { companionDevices, mfaMethods, users } from "@/lib/db/schema";
import { getSecrets } from "@/lib/env";
import { queueSecurityNotice, type NoticeEvent } from "@/lib/notify/security-notice";
import { getThrottle, recordFailure, resetThrottle } from "@/lib/security/throttle";
import { fingerprint } from "@/lib/security/tokens";
import type { PairedDevice } from "./companion";
import { PIN_PROOF_PATTERN, type PinOutcome } from "./companion-protocol";

// Phone sign-in's switch and its app PIN. Turning it on needs the person's password as well as
// the device key. The phone never keeps anything a PIN can be checked against: it turns the PIN
// into a proof (PBKDF2-SHA-256, salted with its device id) and sends that inside calls its key
// signs; the server keeps only an argon2id hash of the proof and counts wrong PINs.
// PIN_MAX_FAILURES wrong in a row turn phone sign-in off for the device.

type Context = { ip: string | null; userAgent: string | null };

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

async function tell(
  db: Executor,
  device: Pick<PairedDevice, "userId" | "methodId">,
  event: NoticeEvent,
  context: Context,
): Promise<void> {
  const person = await owner(db, device);
  if (person) await queueSecurityNotice(db, person, event, context, person.label);
}

export type EnableResult = "on" | "wrong_password" | "password_paused" | "unavailable";

/**
 * Turns phone sign-in (passwordless) on for one paired device, from a call the device signed
 * (authenticate it with `authenticateDeviceCall` first). The device key alone is not enough:
 * whoever holds an unlocked phone could otherwise turn it on with a PIN of their own, so the
 * person's password is asked and checked here, under the same counters as the password step
 * (R-A11.1, R-A11.3). The app PIN they chose arrives as its proof and is kept only as its
 * argon2id hash. Already on: nothing changes (a new PIN goes through `changePhoneSignInPin`,
 * which asks for the current one). Audited, and the person is told (R-A15.1).
 * "unavailable": the phone is not confirmed, the account is not active or has no password, or
 * no proof came.
 */
export async function enablePhoneSignIn(
  db: Db,
  device: PairedDevice,
  input: { password?: string; pinProof?: string },
  context: Context,
): Promise<EnableResult> {
  if (!device.active || !isPinProof(input.pinProof)) return "unavailable";
  if (device.phoneSignInEnabled) return "on";
  const password = input.password ?? "";
  const [user] = await db
    .select({
      id: users.id,
      email: users.email,
      status: users.status,
      passwordHash: users.passwordHash,
    })
    .from(users)
    .where(eq(users.id, device.userId));
  if (!user || user.status !== "active" || !user.passwordHash) return "unavailable";
  const email = user.email.toLowerCase();
  const ipKey = context.ip ?? "unknown";
  const audit = {
    action: "mfa.companion.phone_sign_in_enabled",
    actorId: user.id,
    subjectId: user.id,
    ...context,
  } as const;
  const [accountThrottle, ipThrottle] = await Promise.all([
    getThrottle(db, "password:account", email),
    getThrottle(db, "password:ip", ipKey),
  ]);
  if (accountThrottle.locked || ipThrottle.locked) {
    await verifyAgainstDummy(password);
    await writeAudit(db, {
      ...audit,
      outcome: "denied",
      details: { deviceId: device.id, reason: "locked" },
    });
    return "password_paused";
  }
  const verifiedHash = user.passwordHash;
  const passwordOk =
    password.length > 0 &&
    password.length <= PASSWORD_MAX_LENGTH * 4 &&
    (await verifyPassword(verifiedHash, password));
  if (!passwordOk) {
    // The same counters as the password step: a phone in the wrong hands cannot guess it here.
    const policies = passwordThrottlePolicies();
    const secret = fingerprint(getSecrets().authSecret, "password", email, password);
    await db.transaction(async (tx) => {
      const account = await recordFailure(tx, "password:account", email, policies.account, {
        fingerprint: secret,
      });
      await recordFailure(tx, "password:ip", ipKey, policies.ip, { fingerprint: secret });
      await writeAudit(tx, {
        ...audit,
        outcome: "failure",
        details: { deviceId: device.id, reason: "wrong_password", failures: account.failures },
      });
      if (account.lockStarted) {
        const person = await owner(tx, device);
        if (person) await queueSecurityNotice(tx, person, "password.locked", context);
      }
    });
    return "wrong_password";
  }

  const pinHash = await hashPassword(input.pinProof);
  return db.transaction(async (tx): Promise<EnableResult> => {
    // As at the password step: a pause that began while this password was hashed still holds.
    const accountNow = await getThrottle(tx, "password:account", email);
    const addressNow = await getThrottle(tx, "password:ip", ipKey);
    if (accountNow.locked || addressNow.locked) {
      await writeAudit(tx, {
        ...audit,
        outcome: "denied",
        details: { deviceId: device.id, reason: "locked" },
      });
      return "password_paused";
    }
    const [changed] = await tx
      .update(companionDevices)
      .set({ phoneSignInEnabled: true, pinHash, pinFailures: 0 })
      .where(
        and(eq(companionDevices.id, device.id), eq(companionDevices.phoneSignInEnabled, false)),
      )
      .returning({ id: companionDevices.id });
    await resetThrottle(tx, "password:account", email);
    if (!changed) return "on";
    await writeAudit(tx, {
      ...audit,
      outcome: "success",
      details: { deviceId: device.id, methodId: device.methodId },
    });
    await tell(tx, device, "phone_sign_in.enabled", context);
    return "on";
  });
}

/**
 * Turns phone sign-in off for one paired device, from a call it signed. Nothing else is asked:
 * it only takes capability away. The PIN hash is forgotten; turning it on again sets a new PIN.
 * Audited, and the person is told (R-A15.1).
 */
export async function disablePhoneSignIn(
  db: Db,
  device: PairedDevice,
  context: Context,
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
    await tell(tx, device, "phone_sign_in.disabled", context);
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
  context: Context,
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
  await tell(tx, row, "phone_sign_in.locked", context);
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
  context: Context,
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
    await tell(tx, device, "phone_sign_in.pin_changed", context);
    return { result: "changed" };
  });
}
