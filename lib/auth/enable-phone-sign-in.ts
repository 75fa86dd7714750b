import { and, eq } from "drizzle-orm";
import { writeAudit } from "@/lib/audit/log";
import type { Db } from "@/lib/db/client";
import { companionDevices, users } from "@/lib/db/schema";
import type { PairedDevice } from "@/lib/mfa/companion-device";
import { isPinProof, tellDeviceOwner } from "@/lib/mfa/phone-sign-in";
import { hashPassword } from "@/lib/security/password";
import type { RequestContext } from "@/lib/types/request";
import { checkPassword } from "./password-gate";

// Turning phone sign-in on asks for the password, so it goes through the password gate here in
// lib/auth; the device, its PIN and turning it off stay with the phone in lib/mfa.

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
  context: RequestContext,
): Promise<EnableResult> {
  if (!device.active || !isPinProof(input.pinProof)) return "unavailable";
  if (device.phoneSignInEnabled) return "on";
  const [user] = await db
    .select({ id: users.id, status: users.status, passwordHash: users.passwordHash })
    .from(users)
    .where(eq(users.id, device.userId));
  if (!user || user.status !== "active" || !user.passwordHash) return "unavailable";
  const pinProof = input.pinProof;
  // The same gate and counters as the password step: a phone in the wrong hands cannot guess it
  // here (R-A11.1, R-A11.3).
  const checked = await checkPassword(db, {
    account: { userId: user.id },
    password: input.password ?? "",
    context,
    purpose: "phone_sign_in",
    details: { deviceId: device.id },
    prepare: () => hashPassword(pinProof),
    complete: async (tx, { prepared: pinHash }) => {
      const [changed] = await tx
        .update(companionDevices)
        .set({ phoneSignInEnabled: true, pinHash, pinFailures: 0 })
        .where(
          and(eq(companionDevices.id, device.id), eq(companionDevices.phoneSignInEnabled, false)),
        )
        .returning({ id: companionDevices.id });
      if (!changed) return;
      await writeAudit(tx, {
        action: "mfa.companion.phone_sign_in_enabled",
        outcome: "success",
        actorId: user.id,
        subjectId: user.id,
        ...context,
        details: { deviceId: device.id, methodId: device.methodId },
      });
      await tellDeviceOwner(tx, device, "phone_sign_in.enabled", context);
    },
  });
  if (checked.ok) return "on";
  return checked.reason === "locked" ? "password_paused" : "wrong_password";
}
