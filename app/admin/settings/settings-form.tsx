"use client";

import { useActionState } from "react";
import { Field } from "@/components/forms/field";
import { SubmitButton } from "@/components/forms/submit-button";
import { Alert } from "@/components/ui/alert";
import { idle } from "@/lib/actions/form-action";
import type { BackupMethodRule } from "@/lib/settings/store";
import { saveSettingsAction } from "./actions";

type KindChoice = { kind: string; name: string; enabled: boolean };

export type SettingsFormValues = {
  kinds: KindChoice[];
  backupMethod: BackupMethodRule;
  backupKinds: KindChoice[];
  mfaRequiredForAll: boolean;
  passwordLockoutThreshold: number;
  accessPassDefaultMinutes: number;
  accessPassMaxMinutes: number;
  rememberMfaDays: number;
  staySignedInOffered: boolean;
  staySignedInDays: number;
  staySignedInCeiling: number;
  signInRetentionDays: number;
  passkeyRequiredForAgents: boolean;
  passwordResetMethods: number;
  accountRecoveryWaitMinutes: number;
  callerVerificationRequired: boolean;
  gracePostponements: number | null;
  graceUntil: string | null;
  graceForUsers: boolean;
};

const legend = "text-lg font-semibold";

const BACKUP_RULE_CHOICES: { rule: BackupMethodRule; name: string; hint: string }[] = [
  { rule: "off", name: "Off", hint: "The wizard ends after the first method." },
  {
    rule: "recommended",
    name: "Recommended",
    hint: "Offered after the first method, with “Skip for now”; a reminder stays until one is added.",
  },
  {
    rule: "required",
    name: "Required",
    hint: "Set-up does not finish without one, when one of the kinds below can be added.",
  },
];

/** The policy form; the server checks every value again. */
export function SettingsForm({ values }: { values: SettingsFormValues }) {
  const [state, formAction] = useActionState(saveSettingsAction, idle);
  const errors = state.status === "error" ? state.fieldErrors : undefined;
  return (
    <form action={formAction} className="max-w-2xl space-y-8" noValidate>
      {state.status === "error" && state.message && <Alert kind="error">{state.message}</Alert>}
      {state.status === "success" && state.message && <Alert kind="success">{state.message}</Alert>}

      <fieldset className="space-y-2">
        <legend className={legend}>Sign-in methods people may add</legend>
        <p className="text-sm text-slate-600">
          The authenticator app is always available: the set-up wizard starts with it. A method
          switched off here can no longer be added; people who have it keep it.
        </p>
        <label className="flex items-center gap-2">
          <input type="checkbox" checked disabled aria-describedby="app-always" />
          Authenticator app{" "}
          <span id="app-always" className="text-sm text-slate-600">
            (always)
          </span>
        </label>
        {values.kinds.map((k) => (
          <label key={k.kind} className="flex items-center gap-2">
            <input
              type="checkbox"
              name="enabled_method_kinds"
              value={k.kind}
              defaultChecked={k.enabled}
            />
            {k.name}
          </label>
        ))}
      </fieldset>

      <fieldset className="space-y-2">
        <legend className={legend}>Backup method</legend>
        <p className="text-sm text-slate-600">
          A second way in that is not lost with the first: a phone number after the app, the app
          after a phone, or a passkey.
        </p>
        {BACKUP_RULE_CHOICES.map(({ rule, name, hint }) => (
          <div key={rule}>
            <label className="flex items-center gap-2">
              <input
                type="radio"
                name="backup_method"
                value={rule}
                defaultChecked={values.backupMethod === rule}
                aria-describedby={`backup-${rule}-hint`}
              />
              {name}
            </label>
            <p id={`backup-${rule}-hint`} className="ml-6 text-sm text-slate-600">
              {hint}
            </p>
          </div>
        ))}
        <fieldset className="mt-4 space-y-2">
          <legend className="font-medium">Kinds that count as a backup</legend>
          {values.backupKinds.map((k) => (
            <label key={k.kind} className="flex items-center gap-2">
              <input
                type="checkbox"
                name="backup_method_kinds"
                value={k.kind}
                defaultChecked={k.enabled}
              />
              {k.name}
            </label>
          ))}
        </fieldset>
      </fieldset>

      <fieldset className="space-y-2">
        <legend className={legend}>Who must set up MFA</legend>
        <label className="flex items-center gap-2">
          <input
            type="radio"
            name="mfa_required"
            value="all"
            defaultChecked={values.mfaRequiredForAll}
          />
          Everyone
        </label>
        <label className="flex items-center gap-2">
          <input
            type="radio"
            name="mfa_required"
            value="per_user"
            defaultChecked={!values.mfaRequiredForAll}
          />
          As set on each account
        </label>
      </fieldset>

      <fieldset className="space-y-4">
        <legend className={legend}>Sign-in</legend>
        <Field
          label="Wrong passwords before sign-in pauses"
          name="password_lockout_threshold"
          type="number"
          inputMode="numeric"
          min={3}
          max={100}
          defaultValue={values.passwordLockoutThreshold}
          errors={errors?.password_lockout_threshold}
        />
        <Field
          label="Methods to prove for a self-service password reset"
          name="password_reset_methods"
          type="number"
          inputMode="numeric"
          min={0}
          max={2}
          hint="2 (recommended): an authenticator app's code and a recovery code. 1 lets whoever holds one device reset the password. 0 leaves resets to the helpdesk."
          defaultValue={values.passwordResetMethods}
          errors={errors?.password_reset_methods}
        />
        <Field
          label="Account recovery waiting period (minutes)"
          name="account_recovery_wait_minutes"
          type="number"
          inputMode="numeric"
          min={1}
          max={43200}
          hint="How long someone who lost every method waits, while every channel is told and can cancel. 4320 minutes (72 hours) unless you choose."
          defaultValue={values.accountRecoveryWaitMinutes}
          errors={errors?.account_recovery_wait_minutes}
        />
        <Field
          label="“Don't ask again” days"
          name="remember_mfa_days"
          type="number"
          inputMode="numeric"
          min={0}
          max={90}
          hint="0 hides the checkbox."
          defaultValue={values.rememberMfaDays}
          errors={errors?.remember_mfa_days}
        />
        <label className="flex items-center gap-2">
          <input
            type="checkbox"
            name="passkey_required_for_agents"
            defaultChecked={values.passkeyRequiredForAgents}
          />
          Helpdesk and admin accounts must use a passkey for the console
        </label>
        <label className="flex items-center gap-2">
          <input
            type="checkbox"
            name="stay_signed_in_offered"
            defaultChecked={values.staySignedInOffered}
          />
          Offer &ldquo;Stay signed in?&rdquo;
        </label>
        <Field
          label="“Stay signed in” lifetime (days)"
          name="stay_signed_in_days"
          type="number"
          inputMode="numeric"
          min={1}
          max={values.staySignedInCeiling}
          hint={`At most ${values.staySignedInCeiling}, the limit the server was started with.`}
          defaultValue={values.staySignedInDays}
          errors={errors?.stay_signed_in_days}
        />
        <Field
          label="Keep sign-in events (days)"
          name="sign_in_retention_days"
          type="number"
          inputMode="numeric"
          min={1}
          max={3650}
          defaultValue={values.signInRetentionDays}
          errors={errors?.sign_in_retention_days}
        />
      </fieldset>

      <fieldset className="space-y-4">
        <legend className={legend}>Registration grace period</legend>
        <p className="text-sm text-slate-600">
          People who must set up MFA may answer &ldquo;Ask me later&rdquo; at &ldquo;More
          information required&rdquo; and sign in with their password alone, a limited number of
          times or until a day. Off while both are empty. Never for helpdesk and admin accounts, nor
          for a sign-in that looks unusual.
        </p>
        <Field
          label="Times a person may postpone"
          name="registration_grace_postponements"
          type="number"
          inputMode="numeric"
          min={1}
          max={20}
          hint="Leave empty for no limit by count."
          defaultValue={values.gracePostponements ?? ""}
          errors={errors?.registration_grace_postponements}
        />
        <Field
          label="Last day to postpone"
          name="registration_grace_until"
          type="date"
          hint="Leave empty for no end date. The day ends at midnight UTC."
          defaultValue={values.graceUntil ?? ""}
          errors={errors?.registration_grace_until}
        />
        <div>
          <label className="flex items-center gap-2">
            <input
              type="checkbox"
              name="registration_grace_roles"
              value="user"
              defaultChecked={values.graceForUsers}
              aria-describedby="grace-users-hint"
            />
            Everyone with the user role
          </label>
          <p id="grace-users-hint" className="ml-6 text-sm text-slate-600">
            Otherwise only the people chosen on their page, under Account.
          </p>
        </div>
      </fieldset>

      <fieldset className="space-y-2">
        <legend className={legend}>Helpdesk</legend>
        <label className="flex items-center gap-2">
          <input
            type="checkbox"
            name="caller_verification_required"
            defaultChecked={values.callerVerificationRequired}
            aria-describedby="caller-verification-hint"
          />
          Require caller verification before a password reset, a Temporary Access Pass or an MFA
          reset
        </label>
        <p id="caller-verification-hint" className="ml-6 text-sm text-slate-600">
          The agent first checks the caller with &ldquo;Verify identity&rdquo; on the person&apos;s
          page: a request to their Authenticator app, or a code texted to their phone that the
          caller reads back. A check counts for 10 minutes, for the agent who made it.
        </p>
      </fieldset>

      <fieldset className="space-y-4">
        <legend className={legend}>Temporary Access Pass</legend>
        <Field
          label="Usual lifetime (minutes)"
          name="access_pass_default_minutes"
          type="number"
          inputMode="numeric"
          min={10}
          max={480}
          defaultValue={values.accessPassDefaultMinutes}
          errors={errors?.access_pass_default_minutes}
        />
        <Field
          label="Longest lifetime (minutes)"
          name="access_pass_max_minutes"
          type="number"
          inputMode="numeric"
          min={10}
          max={480}
          hint="From 10 minutes to 8 hours."
          defaultValue={values.accessPassMaxMinutes}
          errors={errors?.access_pass_max_minutes}
        />
      </fieldset>

      <fieldset className="space-y-4">
        <legend className={legend}>Why</legend>
        <Field label="Reason" name="reason" required maxLength={500} errors={errors?.reason} />
        <Field label="Ticket ID (optional)" name="ticket" maxLength={64} errors={errors?.ticket} />
      </fieldset>

      <SubmitButton pendingLabel="Saving…">Save settings</SubmitButton>
    </form>
  );
}
