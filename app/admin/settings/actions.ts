"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { fieldErrorsFrom, type ActionState } from "@/lib/actions/form-action";
import { parseAgentReason, requireAgentAction } from "@/lib/admin/guard";
import { updateSettings, type SettingChange } from "@/lib/admin/settings";
import { getDb } from "@/lib/db/client";
import { getEnv } from "@/lib/env";
import { getRequestContext } from "@/lib/security/request-context";
import { METHOD_KINDS } from "@/lib/mfa/registry";
import { GRACE_ROLES } from "@/lib/auth/registration-grace";
import {
  ACCOUNT_RECOVERY_WAIT_MAX_MINUTES,
  ACCESS_PASS_MAX_MINUTES,
  BACKUP_METHOD_RULES,
  ACCESS_PASS_MIN_MINUTES,
  isCalendarDate,
  REGISTRATION_GRACE_MAX,
  refreshSettings,
  SETTING_KEYS,
  type SettingValues,
} from "@/lib/settings/store";
import { settingDefaults, SWITCHABLE_KINDS } from "./defaults";

const whole = (label: string, min: number, max: number) =>
  z.coerce
    .number({ error: `${label} must be a whole number.` })
    .int(`${label} must be a whole number.`)
    .min(min, `${label} is at least ${min}.`)
    .max(max, `${label} is at most ${max}.`);

function settingsSchema() {
  const ceiling = getEnv().PERSISTENT_SESSION_ABSOLUTE_DAYS;
  return z
    .object({
      password_lockout_threshold: whole("The number of wrong passwords", 3, 100),
      access_pass_default_minutes: whole(
        "A pass's lifetime",
        ACCESS_PASS_MIN_MINUTES,
        ACCESS_PASS_MAX_MINUTES,
      ),
      access_pass_max_minutes: whole(
        "The longest lifetime",
        ACCESS_PASS_MIN_MINUTES,
        ACCESS_PASS_MAX_MINUTES,
      ),
      remember_mfa_days: whole("“Don't ask again”", 0, 90),
      stay_signed_in_days: whole("“Stay signed in” lifetime", 1, ceiling),
      sign_in_retention_days: whole("Sign-in retention", 1, 3650),
      password_reset_methods: whole("Methods for a password reset", 0, 2),
      account_recovery_wait_minutes: whole(
        "The recovery waiting period",
        1,
        ACCOUNT_RECOVERY_WAIT_MAX_MINUTES,
      ),
      // Empty: no limit by count, or no end date (grace is off while both are empty).
      registration_grace_postponements: z
        .literal("")
        .transform(() => null)
        .or(whole("The number of postponements", 1, REGISTRATION_GRACE_MAX)),
      registration_grace_until: z
        .literal("")
        .transform(() => null)
        .or(
          z
            .string()
            .regex(/^\d{4}-\d{2}-\d{2}$/, "Enter the last day as a date, like 2027-01-31.")
            .refine(isCalendarDate, "Enter the last day as a date, like 2027-01-31."),
        ),
    })
    .refine((v) => v.access_pass_default_minutes <= v.access_pass_max_minutes, {
      path: ["access_pass_default_minutes"],
      message: "The usual lifetime cannot be longer than the longest.",
    });
}

/**
 * "Save settings" (administrators only, with a fresh second factor and a reason, R-A16.1,
 * R-A16.2). A value equal to the operator's default is stored as "use the default". Each changed
 * setting is audited with its old and new value; this instance applies them at once, the others
 * within seconds.
 */
export async function saveSettingsAction(
  _state: ActionState,
  formData: FormData,
): Promise<ActionState> {
  const agent = await requireAgentAction("/admin/settings", { adminOnly: true });
  const single = (name: string) => {
    const values = formData.getAll(name);
    return values.length === 1 ? values[0] : undefined;
  };
  const parsed = settingsSchema().safeParse(
    Object.fromEntries(
      [
        "password_lockout_threshold",
        "access_pass_default_minutes",
        "access_pass_max_minutes",
        "remember_mfa_days",
        "stay_signed_in_days",
        "sign_in_retention_days",
        "password_reset_methods",
        "account_recovery_wait_minutes",
        "registration_grace_postponements",
        "registration_grace_until",
      ].map((name) => [name, single(name)]),
    ),
  );
  const why = parseAgentReason(formData);
  if (!parsed.success || !why.success) {
    return {
      status: "error",
      message: "Some settings need attention; nothing was saved.",
      fieldErrors: fieldErrorsFrom([
        ...(parsed.success ? [] : parsed.error.issues),
        ...(why.success ? [] : why.error.issues),
      ]),
    };
  }
  const kinds = formData.getAll("enabled_method_kinds").map(String);
  const backupKinds = formData.getAll("backup_method_kinds").map(String);
  const backupRule = BACKUP_METHOD_RULES.find((rule) => rule === single("backup_method"));
  if (!backupRule) {
    return {
      status: "error",
      message: "Choose whether a backup method is off, recommended or required. Nothing was saved.",
    };
  }
  const values: SettingValues = {
    ...parsed.data,
    enabled_method_kinds: [
      "authenticator_app",
      ...SWITCHABLE_KINDS.filter((kind) => kinds.includes(kind)),
    ],
    mfa_required_for_all: single("mfa_required") === "all",
    stay_signed_in_offered: single("stay_signed_in_offered") === "on",
    passkey_required_for_agents: single("passkey_required_for_agents") === "on",
    caller_verification_required: single("caller_verification_required") === "on",
    backup_method: backupRule,
    backup_method_kinds: METHOD_KINDS.filter((kind) => backupKinds.includes(kind)),
    // Only the roles that may ever postpone (never the console's, R-A16.1).
    registration_grace_roles: GRACE_ROLES.filter((role) =>
      formData.getAll("registration_grace_roles").includes(role),
    ) as SettingValues["registration_grace_roles"],
  };
  if (values.backup_method_kinds.length === 0) {
    return {
      status: "error",
      message: "Choose at least one kind of method that counts as a backup. Nothing was saved.",
    };
  }
  // Requiring a passkey nobody may add would shut every agent without one out of the console,
  // and perhaps every administrator who could undo it.
  if (values.passkey_required_for_agents && !values.enabled_method_kinds.includes("passkey")) {
    return {
      status: "error",
      message:
        "The console can't require passkeys while people may not add them. Allow passkeys, or leave the passkey rule off. Nothing was saved.",
    };
  }
  const defaults = settingDefaults();
  const change: SettingChange = {};
  for (const key of SETTING_KEYS) {
    const same = JSON.stringify(values[key]) === JSON.stringify(defaults[key]);
    (change as Record<string, unknown>)[key] = same ? null : values[key];
  }
  const db = await getDb();
  const context = await getRequestContext();
  const changed = await updateSettings(db, change, {
    id: agent.id,
    ...context,
    reason: why.data.reason,
    ticket: why.data.ticket ?? null,
  });
  await refreshSettings(db);
  revalidatePath("/admin/settings");
  return {
    status: "success",
    message:
      changed.length === 0
        ? "Nothing changed."
        : `Saved ${changed.length} ${changed.length === 1 ? "setting" : "settings"}.`,
  };
}
