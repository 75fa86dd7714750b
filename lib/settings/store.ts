import { z } from "zod";
import { getDb, type Executor } from "@/lib/db/client";
import { settings } from "@/lib/db/schema";
import { clock } from "@/lib/clock";

// Policy that administrators set at /admin/settings (lib/admin/settings.ts writes it). Rows in
// `settings` override the operator's environment (the defaults); a missing row means "use the
// default". The sign-in code reads policy
// synchronously, so each process keeps a copy that is refreshed from the table in the background
// every SETTINGS_REFRESH_MS, and at once after a change made by this process: several instances
// agree within seconds without a message bus.

/** How stale a process's copy of the settings may get. */
export const SETTINGS_REFRESH_MS = 5_000;

/** Temporary Access Pass lifetimes allowed by policy (R-A10.2): 10 minutes to 8 hours. */
export const ACCESS_PASS_MIN_MINUTES = 10;
export const ACCESS_PASS_MAX_MINUTES = 8 * 60;
export const ACCESS_PASS_DEFAULT_MINUTES = 60;

/** Off: never asked. Recommended: offered, with "Skip for now". Required: no skipping. */
export const BACKUP_METHOD_RULES = ["off", "recommended", "required"] as const;
export type BackupMethodRule = (typeof BACKUP_METHOD_RULES)[number];

/** Whether a YYYY-MM-DD string names a real day (not 31 February). */
export function isCalendarDate(value: string): boolean {
  const day = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(day.getTime()) && day.toISOString().slice(0, 10) === value;
}

/** Account recovery's waiting period: 72 hours unless an administrator chose, at most 30 days. */
export const ACCOUNT_RECOVERY_WAIT_DEFAULT_MINUTES = 72 * 60;
export const ACCOUNT_RECOVERY_WAIT_MAX_MINUTES = 30 * 24 * 60;

/** The most postponements of registering a method an administrator may allow. */
export const REGISTRATION_GRACE_MAX = 20;

/** Every setting, with the shape its value must have. */
export const SETTING_SCHEMAS = {
  /** Method kinds people may register and use; a kind left out cannot be added or used. */
  enabled_method_kinds: z.array(z.string().min(1).max(40)).min(1).max(20),
  /** True: everyone must register a method; false: each account's own `mfa_required` decides. */
  mfa_required_for_all: z.boolean(),
  /** Wrong passwords in a row before the account's password step pauses. */
  password_lockout_threshold: z.number().int().min(3).max(100),
  access_pass_default_minutes: z
    .number()
    .int()
    .min(ACCESS_PASS_MIN_MINUTES)
    .max(ACCESS_PASS_MAX_MINUTES),
  access_pass_max_minutes: z
    .number()
    .int()
    .min(ACCESS_PASS_MIN_MINUTES)
    .max(ACCESS_PASS_MAX_MINUTES),
  /** "Don't ask again for N days"; 0 hides the checkbox. */
  remember_mfa_days: z.number().int().min(0).max(90),
  stay_signed_in_offered: z.boolean(),
  /** How long a "Stay signed in" session may live, in days. */
  stay_signed_in_days: z.number().int().min(1).max(365),
  sign_in_retention_days: z.number().int().min(1).max(3650),
  /** Helpdesk and admin accounts must have, and sign in to the console with, a passkey. */
  passkey_required_for_agents: z.boolean(),
  /** Methods a person proves before resetting their password alone; 0 leaves it to the helpdesk. */
  password_reset_methods: z.number().int().min(0).max(2),
  /** Whether the wizard asks for a second, different kind of method (R-A9.7). */
  backup_method: z.enum(BACKUP_METHOD_RULES),
  /** Method kinds that count as a backup; the others still work, but do not end the prompt. */
  backup_method_kinds: z.array(z.string().min(1).max(40)).min(1).max(20),
  /**
   * A password reset, a Temporary Access Pass or an MFA reset by the helpdesk needs the agent to
   * have verified the caller in the last 10 minutes (R-A10.4).
   */
  caller_verification_required: z.boolean(),
  /**
   * The registration grace period (docs/decisions/0022): how many times a person may answer "Ask
   * me later" at "More information required"; null: no limit by count. Grace is off unless this
   * or `registration_grace_until` is set.
   */
  registration_grace_postponements: z.number().int().min(1).max(REGISTRATION_GRACE_MAX).nullable(),
  /** The last day (UTC, YYYY-MM-DD) on which registering may be postponed; null: no end date. */
  registration_grace_until: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .refine(isCalendarDate)
    .nullable(),
  /**
   * How long a self-service account recovery waits before it can complete (docs/decisions/0023),
   * in minutes: long enough for the owner to see the notices and cancel.
   */
  account_recovery_wait_minutes: z.number().int().min(1).max(ACCOUNT_RECOVERY_WAIT_MAX_MINUTES),
  /** Roles whose people may postpone; chosen people are flagged on their account. */
  registration_grace_roles: z.array(z.enum(["user", "helpdesk", "admin"])).max(3),
} as const;

export type SettingKey = keyof typeof SETTING_SCHEMAS;
export type SettingValues = { [K in SettingKey]: z.infer<(typeof SETTING_SCHEMAS)[K]> };
export const SETTING_KEYS = Object.keys(SETTING_SCHEMAS) as SettingKey[];

type Cache = {
  values: Partial<SettingValues>;
  loadedAt: number;
  refreshing: Promise<void> | null;
};

const holder = globalThis as unknown as { __factorSettings?: Cache };

function cache(): Cache {
  holder.__factorSettings ??= { values: {}, loadedAt: 0, refreshing: null };
  return holder.__factorSettings;
}

/** Parses the stored rows, ignoring a key that is unknown or whose value no longer fits. */
export function parseSettingRows(rows: { key: string; value: unknown }[]): Partial<SettingValues> {
  const values: Record<string, unknown> = {};
  for (const row of rows) {
    const schema = SETTING_SCHEMAS[row.key as SettingKey];
    const parsed = schema?.safeParse(row.value);
    if (parsed?.success) values[row.key] = parsed.data;
  }
  return values as Partial<SettingValues>;
}

/** The administrator's overrides as stored now (no cache). */
export async function readSettings(db: Executor): Promise<Partial<SettingValues>> {
  return parseSettingRows(
    await db.select({ key: settings.key, value: settings.value }).from(settings),
  );
}

/** Reloads this process's copy from the table. */
export async function refreshSettings(db: Executor): Promise<Partial<SettingValues>> {
  const values = await readSettings(db);
  const state = cache();
  state.values = values;
  state.loadedAt = clock.ms();
  return values;
}

/**
 * Whether this process has opened its database (lib/db/client.ts keeps it on globalThis). Policy
 * read before that — at build time, in a script, in a unit test — uses the defaults rather than
 * opening a database as a side effect.
 */
function databaseOpened(): boolean {
  return (globalThis as { __factorDatabase?: unknown }).__factorDatabase !== undefined;
}

function refreshInBackground(): void {
  const state = cache();
  if (state.refreshing) return;
  state.loadedAt = clock.ms(); // one attempt per interval, even when it fails
  state.refreshing = getDb()
    .then((db) => refreshSettings(db))
    .then(
      () => undefined,
      // Keep the last known values: policy must not flap because one read failed.
      (error: Error) => console.error(`Cannot read the settings: ${error.message}`),
    )
    .finally(() => {
      state.refreshing = null;
    });
}

/**
 * One setting as this process knows it, or undefined for "use the default". Synchronous, so the
 * policy getters stay synchronous; a stale copy starts a refresh for the next caller.
 */
export function getSettingOverride<K extends SettingKey>(key: K): SettingValues[K] | undefined {
  const state = cache();
  if (clock.ms() - state.loadedAt > SETTINGS_REFRESH_MS && databaseOpened()) refreshInBackground();
  return state.values[key];
}
