import { inArray, sql } from "drizzle-orm";
import { writeAudit } from "@/lib/audit/log";
import type { Executor } from "@/lib/db/client";
import { settings } from "@/lib/db/schema";
import type { RequestContext } from "@/lib/types/request";
import {
  parseSettingRows,
  SETTING_SCHEMAS,
  type SettingKey,
  type SettingValues,
} from "@/lib/settings/store";

// An administrator's change to the settings. Reading them, and the policy built on them, sits
// below every domain (lib/settings/); only the console writes them.

export type SettingChange = { [K in SettingKey]?: SettingValues[K] | null };

/**
 * Stores changed settings in one transaction, one audit record per changed key with its old and
 * new value (null: back to the default). Returns the keys that changed. Call `refreshSettings`
 * after it returns (after the caller's transaction commits, inside one) so this process applies
 * them at once.
 */
export async function updateSettings(
  db: Executor,
  change: SettingChange,
  actor: RequestContext & { id: string; reason: string; ticket?: string | null },
): Promise<SettingKey[]> {
  // Alone this is a transaction; inside a caller's, a savepoint (docs/architecture.md).
  return db.transaction(async (tx) => {
    const keys = (Object.keys(change) as SettingKey[]).filter((key) => key in SETTING_SCHEMAS);
    if (keys.length === 0) return [];
    // Serialise changes so two administrators saving at once each see the other's values.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('factor:settings'))`);
    const current = parseSettingRows(
      await tx
        .select({ key: settings.key, value: settings.value })
        .from(settings)
        .where(inArray(settings.key, keys)),
    );
    const changed: SettingKey[] = [];
    for (const key of keys) {
      const next = change[key];
      const before = current[key];
      if (JSON.stringify(next ?? null) === JSON.stringify(before ?? null)) continue;
      if (next === null || next === undefined) {
        await tx.delete(settings).where(inArray(settings.key, [key]));
      } else {
        const value = SETTING_SCHEMAS[key].parse(next) as string | number | boolean | string[];
        await tx
          .insert(settings)
          .values({ key, value, updatedBy: actor.id })
          .onConflictDoUpdate({
            target: settings.key,
            set: { value, updatedBy: actor.id, updatedAt: sql`now()` },
          });
      }
      await writeAudit(tx, {
        action: "admin.settings.changed",
        outcome: "success",
        actorId: actor.id,
        ip: actor.ip,
        userAgent: actor.userAgent,
        details: {
          setting: key,
          from: before === undefined ? null : JSON.stringify(before),
          to: next === null || next === undefined ? null : JSON.stringify(next),
          reason: actor.reason,
          ticket: actor.ticket ?? null,
        },
      });
      changed.push(key);
    }
    return changed;
  });
}
