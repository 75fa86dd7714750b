import type { Metadata } from "next";
import { requireAgentPage } from "@/lib/admin/guard";
import { readSettings } from "@/lib/settings/store";
import { getDb } from "@/lib/db/client";
import { getEnv } from "@/lib/env";
import { METHOD_KIND_INFO, METHOD_KINDS } from "@/lib/mfa/registry";
import { settingDefaults, SWITCHABLE_KINDS } from "./defaults";
import { SettingsForm } from "./settings-form";

export const metadata: Metadata = { title: "Settings" };

export default async function SettingsPage() {
  await requireAgentPage({ adminOnly: true });
  // Read from the table, not this process's copy: the form shows what is stored now.
  const values = { ...settingDefaults(), ...(await readSettings(await getDb())) };
  return (
    <>
      <h1 className="text-3xl font-semibold">Settings</h1>
      <p className="mt-2 mb-6 max-w-prose text-slate-700">
        The organisation&apos;s sign-in policy. Changes apply on every server within a few seconds
        and are recorded in the audit log with your reason.
      </p>
      <SettingsForm
        values={{
          kinds: SWITCHABLE_KINDS.map((kind) => ({
            kind,
            name: METHOD_KIND_INFO[kind].chooserName,
            enabled: values.enabled_method_kinds.includes(kind),
          })),
          backupMethod: values.backup_method,
          backupKinds: METHOD_KINDS.map((kind) => ({
            kind,
            name: METHOD_KIND_INFO[kind].chooserName,
            enabled: values.backup_method_kinds.includes(kind),
          })),
          mfaRequiredForAll: values.mfa_required_for_all,
          passwordLockoutThreshold: values.password_lockout_threshold,
          accessPassDefaultMinutes: values.access_pass_default_minutes,
          accessPassMaxMinutes: values.access_pass_max_minutes,
          rememberMfaDays: values.remember_mfa_days,
          staySignedInOffered: values.stay_signed_in_offered,
          staySignedInDays: values.stay_signed_in_days,
          staySignedInCeiling: getEnv().PERSISTENT_SESSION_ABSOLUTE_DAYS,
          signInRetentionDays: values.sign_in_retention_days,
          passkeyRequiredForAgents: values.passkey_required_for_agents,
          callerVerificationRequired: values.caller_verification_required,
          passwordResetMethods: values.password_reset_methods,
          accountRecoveryWaitMinutes: values.account_recovery_wait_minutes,
          gracePostponements: values.registration_grace_postponements,
          graceUntil: values.registration_grace_until,
          graceForUsers: values.registration_grace_roles.includes("user"),
        }}
      />
    </>
  );
}
