import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  accessPassLifetimes,
  methodKindEnabled,
  mfaRequiredFor,
  passwordLockoutThreshold,
  passwordThrottlePolicies,
  rememberMfaDays,
  signInRetentionDays,
  staySignedInDays,
  staySignedInOffered,
} from "@/lib/settings/policy";
import { auditLog, settings } from "@/lib/db/schema";
import { getEnv } from "@/lib/env";
import { kindOffered } from "@/lib/mfa/registry";
import { createTestDatabase } from "@/lib/testing/test-database";
import { readSettings, refreshSettings, SETTINGS_REFRESH_MS } from "@/lib/settings/store";
import { updateSettings } from "./settings";
import { createTestUser } from "@/lib/testing/users";

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let admin: { id: string; ip: string; userAgent: string; reason: string };

beforeAll(async () => {
  database = await createTestDatabase();
  const { id } = await createTestUser(database.db, {
    email: "settings-admin@example.edu",
    displayName: "Settings Admin",
    role: "admin",
  });
  admin = { id, ip: "192.0.2.9", userAgent: "vitest", reason: "Policy review" };
});
afterAll(async () => {
  await database.dispose();
});
beforeEach(async () => {
  await database.db.delete(settings);
  await refreshSettings(database.db);
});

async function save(change: Parameters<typeof updateSettings>[1]) {
  const changed = await database.db.transaction((tx) => updateSettings(tx, change, admin));
  await refreshSettings(database.db);
  return changed;
}

describe("policy with no settings stored", () => {
  it("uses the environment's defaults", () => {
    const env = getEnv();
    expect(rememberMfaDays()).toBe(env.REMEMBER_MFA_DAYS);
    expect(signInRetentionDays()).toBe(env.SIGN_IN_RETENTION_DAYS);
    expect(staySignedInDays()).toBe(env.PERSISTENT_SESSION_ABSOLUTE_DAYS);
    expect(staySignedInOffered()).toBe(true);
    expect(mfaRequiredFor({ mfaRequired: false })).toBe(false);
    expect(methodKindEnabled("mobile_phone")).toBe(true);
    expect(accessPassLifetimes()).toEqual({ defaultMinutes: 60, maxMinutes: 480 });
    expect(passwordLockoutThreshold()).toBe(env.PASSWORD_LOCKOUT_THRESHOLD);
  });
});

describe("settings an administrator changes", () => {
  it("are honoured by the policy getters at once in this process", async () => {
    await save({
      remember_mfa_days: 3,
      stay_signed_in_offered: false,
      mfa_required_for_all: true,
      enabled_method_kinds: ["authenticator_app", "hardware_token"],
      access_pass_default_minutes: 30,
      access_pass_max_minutes: 120,
      sign_in_retention_days: 7,
      stay_signed_in_days: 5,
      password_lockout_threshold: 4,
    });
    expect(rememberMfaDays()).toBe(3);
    expect(staySignedInOffered()).toBe(false);
    expect(mfaRequiredFor({ mfaRequired: false })).toBe(true);
    expect(methodKindEnabled("mobile_phone")).toBe(false);
    expect(kindOffered("mobile_phone", "user")).toBe(false);
    expect(kindOffered("authenticator_app", "user")).toBe(true);
    expect(accessPassLifetimes()).toEqual({ defaultMinutes: 30, maxMinutes: 120 });
    expect(signInRetentionDays()).toBe(7);
    expect(staySignedInDays()).toBe(5);
    expect(passwordLockoutThreshold()).toBe(4);
    const lock = passwordThrottlePolicies().account.lockSeconds;
    expect(lock(3)).toBeNull();
    expect(lock(4)).not.toBeNull();
  });

  it("never lets 'Stay signed in' outlive the operator's ceiling", async () => {
    await save({ stay_signed_in_days: 365 });
    expect(staySignedInDays()).toBe(getEnv().PERSISTENT_SESSION_ABSOLUTE_DAYS);
  });

  it("keeps the pass's default within its maximum", async () => {
    await save({ access_pass_default_minutes: 240, access_pass_max_minutes: 60 });
    expect(accessPassLifetimes()).toEqual({ defaultMinutes: 60, maxMinutes: 60 });
  });

  it("audits each changed key with its old and new value and the reason, and skips the same value", async () => {
    await save({ remember_mfa_days: 5 });
    const changed = await save({ remember_mfa_days: 7, stay_signed_in_offered: true });
    expect(changed).toEqual(["remember_mfa_days", "stay_signed_in_offered"]);
    expect(await save({ remember_mfa_days: 7 })).toEqual([]);
    const rows = await database.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, "admin.settings.changed"));
    const last = rows.filter((r) => r.details?.setting === "remember_mfa_days").at(-1);
    expect(last).toMatchObject({
      actorId: admin.id,
      outcome: "success",
      ip: "192.0.2.9",
      details: { from: "5", to: "7", reason: "Policy review" },
    });
  });

  it("goes back to the default when a value is cleared", async () => {
    await save({ remember_mfa_days: 2 });
    await save({ remember_mfa_days: null });
    expect(await readSettings(database.db)).toEqual({});
    expect(rememberMfaDays()).toBe(getEnv().REMEMBER_MFA_DAYS);
  });

  it("refuses a value outside its range and stores nothing", async () => {
    await expect(save({ access_pass_max_minutes: 9 })).rejects.toThrow();
    await expect(save({ remember_mfa_days: 91 })).rejects.toThrow();
    expect(await readSettings(database.db)).toEqual({});
  });

  it("ignores a stored value that no longer fits its shape, rather than failing sign-in", async () => {
    await database.db.insert(settings).values({ key: "remember_mfa_days", value: "many" });
    await database.db.insert(settings).values({ key: "retired_setting", value: true });
    await refreshSettings(database.db);
    expect(rememberMfaDays()).toBe(getEnv().REMEMBER_MFA_DAYS);
  });

  it("reaches another instance's copy within the refresh interval", async () => {
    // Another instance writes straight to the table; this process's copy is stale until refreshed.
    await database.db.insert(settings).values({ key: "remember_mfa_days", value: 9 });
    expect(rememberMfaDays()).toBe(getEnv().REMEMBER_MFA_DAYS);
    const until = Date.now() + SETTINGS_REFRESH_MS * 3;
    while (rememberMfaDays() !== 9 && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(rememberMfaDays()).toBe(9);
  });
});
