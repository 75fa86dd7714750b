import {
  ACCOUNT_RECOVERY_WAIT_DEFAULT_MINUTES,
  ACCESS_PASS_DEFAULT_MINUTES,
  ACCESS_PASS_MAX_MINUTES,
  type SettingValues,
} from "@/lib/settings/store";
import { getEnv } from "@/lib/env";
import { METHOD_KINDS } from "@/lib/mfa/registry";

/** What each setting is when no administrator has set it: the operator's environment. */
export function settingDefaults(): SettingValues {
  const env = getEnv();
  return {
    enabled_method_kinds: [...METHOD_KINDS],
    mfa_required_for_all: false,
    password_lockout_threshold: env.PASSWORD_LOCKOUT_THRESHOLD,
    access_pass_default_minutes: ACCESS_PASS_DEFAULT_MINUTES,
    access_pass_max_minutes: ACCESS_PASS_MAX_MINUTES,
    remember_mfa_days: env.REMEMBER_MFA_DAYS,
    stay_signed_in_offered: true,
    stay_signed_in_days: env.PERSISTENT_SESSION_ABSOLUTE_DAYS,
    sign_in_retention_days: env.SIGN_IN_RETENTION_DAYS,
    passkey_required_for_agents: false,
    password_reset_methods: 2,
    backup_method: "recommended",
    backup_method_kinds: [...METHOD_KINDS],
    caller_verification_required: false,
    registration_grace_postponements: null,
    registration_grace_until: null,
    registration_grace_roles: [],
    account_recovery_wait_minutes: ACCOUNT_RECOVERY_WAIT_DEFAULT_MINUTES,
  };
}

/** Kinds an administrator may switch off; the authenticator app always stays (the wizard starts with it). */
export const SWITCHABLE_KINDS = METHOD_KINDS.filter((kind) => kind !== "authenticator_app");
