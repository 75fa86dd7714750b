import { updateSettings, type SettingChange } from "@/lib/admin/settings";
import type { Db } from "@/lib/db/client";
import { refreshSettings } from "@/lib/settings/store";

/**
 * Changes organisation settings as an administrator would, and applies them in this process at
 * once; null puts a setting back to its default.
 */
export async function changeSettings(db: Db, adminId: string, change: SettingChange) {
  await updateSettings(db, change, {
    id: adminId,
    ip: "192.0.2.250",
    userAgent: "vitest",
    reason: "Set by a test",
  });
  await refreshSettings(db);
}
