import { and, eq } from "drizzle-orm";
import { writeAudit } from "@/lib/audit/log";
import type { Db } from "@/lib/db/client";
import { companionDevices, mfaMethods, users } from "@/lib/db/schema";
import { queueSecurityNotice } from "@/lib/notify/security-notice";
import type { PairedDevice } from "./companion";

type Context = { ip: string | null; userAgent: string | null };

/**
 * Turns phone sign-in (passwordless) on or off for one paired device, from a call the device
 * signed (authenticate it with `authenticateDeviceCall` first). Audited, and the person is told
 * (R-A15.1). A phone not yet confirmed cannot turn it on. Returns the setting now in force.
 */
export async function setPhoneSignIn(
  db: Db,
  device: PairedDevice,
  enabled: boolean,
  context: Context,
): Promise<boolean> {
  if (!device.active) return false;
  return db.transaction(async (tx) => {
    const [changed] = await tx
      .update(companionDevices)
      .set({ phoneSignInEnabled: enabled })
      .where(
        and(eq(companionDevices.id, device.id), eq(companionDevices.phoneSignInEnabled, !enabled)),
      )
      .returning({ id: companionDevices.id });
    if (!changed) return enabled;
    const [owner] = await tx
      .select({
        id: users.id,
        email: users.email,
        displayName: users.displayName,
        label: mfaMethods.label,
      })
      .from(users)
      .innerJoin(mfaMethods, eq(mfaMethods.id, device.methodId))
      .where(eq(users.id, device.userId));
    await writeAudit(tx, {
      action: enabled
        ? "mfa.companion.phone_sign_in_enabled"
        : "mfa.companion.phone_sign_in_disabled",
      outcome: "success",
      actorId: device.userId,
      subjectId: device.userId,
      ...context,
      details: { deviceId: device.id, methodId: device.methodId },
    });
    if (owner)
      await queueSecurityNotice(
        tx,
        owner,
        enabled ? "phone_sign_in.enabled" : "phone_sign_in.disabled",
        context,
        owner.label,
      );
    return enabled;
  });
}
