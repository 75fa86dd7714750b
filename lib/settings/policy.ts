import {
  ACCOUNT_RECOVERY_WAIT_DEFAULT_MINUTES,
  ACCESS_PASS_DEFAULT_MINUTES,
  ACCESS_PASS_MAX_MINUTES,
  type BackupMethodRule,
  getSettingOverride,
} from "./store";
import { getEnv } from "@/lib/env";
import { everyNthFailure, type ThrottlePolicy } from "@/lib/security/throttle";

// The sign-in and session policy in one place. The environment (.env.example) gives the defaults;
// what an administrator set at /admin/settings overrides them (lib/settings/store.ts).

const MINUTE_MS = 60_000;

const DAY_MS = 24 * 60 * MINUTE_MS;

/**
 * Session timeouts (R-A12.5): idle 30 min and absolute 12 h; "Stay signed in" idle 7 days and
 * absolute 90 days — a recorded deviation (docs/decisions/0003), balanced by step-up.
 */
export function sessionLimits(persistent = false) {
  const env = getEnv();
  return persistent
    ? {
        idleMs: env.PERSISTENT_SESSION_IDLE_DAYS * DAY_MS,
        absoluteMs: staySignedInDays() * DAY_MS,
      }
    : {
        idleMs: env.SESSION_IDLE_MINUTES * MINUTE_MS,
        absoluteMs: env.SESSION_ABSOLUTE_HOURS * 60 * MINUTE_MS,
      };
}

/** Security-info changes need a second factor at most this old (R-A9.1). */
export function stepUpMaxAgeMs(): number {
  return getEnv().STEP_UP_MAX_AGE_MINUTES * MINUTE_MS;
}

/** "Don't ask again for N days" (0 hides the checkbox). */
export function rememberMfaDays(): number {
  return getSettingOverride("remember_mfa_days") ?? getEnv().REMEMBER_MFA_DAYS;
}

/**
 * How long a "Stay signed in" session may live, in days. The environment's value is the ceiling
 * an administrator may lower (the session cookie's own lifetime is set from it at start-up).
 */
export function staySignedInDays(): number {
  const ceiling = getEnv().PERSISTENT_SESSION_ABSOLUTE_DAYS;
  return Math.min(getSettingOverride("stay_signed_in_days") ?? ceiling, ceiling);
}

/** A sign-in in progress lives at most this long (R-A1.3). */
export function signInTransactionTtlMs(): number {
  return getEnv().SIGN_IN_TRANSACTION_MINUTES * MINUTE_MS;
}

/**
 * Whether helpdesk and admin accounts must register a passkey and prove one to use the console
 * (phishing-resistant for the accounts that can change everyone else's).
 */
export function passkeyRequiredForAgents(): boolean {
  return getSettingOverride("passkey_required_for_agents") ?? false;
}

/**
 * Whether the helpdesk must verify a caller ("Verify identity") before resetting their password,
 * issuing them a Temporary Access Pass or resetting their MFA (R-A10.4); off unless an
 * administrator turns it on.
 */
export function callerVerificationRequired(): boolean {
  return getSettingOverride("caller_verification_required") ?? false;
}

/** Whether "Stay signed in?" is asked at the end of sign-in. */
export function staySignedInOffered(): boolean {
  return getSettingOverride("stay_signed_in_offered") ?? true;
}

/** Whether this account must register a method: everyone's, or the account's own flag. */
export function mfaRequiredFor(user: { mfaRequired: boolean }): boolean {
  return user.mfaRequired || (getSettingOverride("mfa_required_for_all") ?? false);
}

/**
 * The registration grace period an administrator set (docs/decisions/0022): how many times a
 * person may postpone registering a method, the last day they may (UTC), and the roles it is for.
 * Off — nothing set — unless a count or a day is.
 */
export function registrationGracePolicy(): {
  postponements: number | null;
  until: string | null;
  roles: readonly string[];
} {
  return {
    postponements: getSettingOverride("registration_grace_postponements") ?? null,
    until: getSettingOverride("registration_grace_until") ?? null,
    roles: getSettingOverride("registration_grace_roles") ?? [],
  };
}

/** Whether people may register and use a kind of method; all kinds unless an admin chose. */
export function methodKindEnabled(kind: string): boolean {
  const enabled = getSettingOverride("enabled_method_kinds");
  return enabled === undefined || enabled.includes(kind);
}

/**
 * How many different methods someone proves to reset a forgotten password themselves (R-A2.8):
 * two unless an administrator chose otherwise. With one, whoever holds that one device could
 * reset the password and then sign in with the same device: one factor, not two.
 */
export function passwordResetMethodsNeeded(): 0 | 1 | 2 {
  return (getSettingOverride("password_reset_methods") ?? 2) as 0 | 1 | 2;
}

/** How long a self-service account recovery waits before it completes (docs/decisions/0023). */
export function accountRecoveryWaitMs(): number {
  return (
    (getSettingOverride("account_recovery_wait_minutes") ?? ACCOUNT_RECOVERY_WAIT_DEFAULT_MINUTES) *
    MINUTE_MS
  );
}

/** Whether a backup method is asked for after the first (R-A9.7); recommended unless set. */
export function backupMethodRule(): BackupMethodRule {
  return getSettingOverride("backup_method") ?? "recommended";
}

/** Whether a kind of method counts as a backup; every kind unless an administrator chose. */
export function countsAsBackup(kind: string): boolean {
  const kinds = getSettingOverride("backup_method_kinds");
  return kinds === undefined || kinds.includes(kind);
}

/** Temporary Access Pass lifetimes in minutes (R-A10.2): the default and the longest allowed. */
export function accessPassLifetimes(): { defaultMinutes: number; maxMinutes: number } {
  const maxMinutes = getSettingOverride("access_pass_max_minutes") ?? ACCESS_PASS_MAX_MINUTES;
  const defaultMinutes =
    getSettingOverride("access_pass_default_minutes") ?? ACCESS_PASS_DEFAULT_MINUTES;
  return { defaultMinutes: Math.min(defaultMinutes, maxMinutes), maxMinutes };
}

/** Sign-in events older than this many days are deleted (R-A14.7). */
export function signInRetentionDays(): number {
  return getSettingOverride("sign_in_retention_days") ?? getEnv().SIGN_IN_RETENTION_DAYS;
}

/** Wrong passwords in a row before an account's password step pauses. */
export function passwordLockoutThreshold(): number {
  return getSettingOverride("password_lockout_threshold") ?? getEnv().PASSWORD_LOCKOUT_THRESHOLD;
}

/** Password-step throttling per account and per client address (R-A11.2, R-A11.1). */
export function passwordThrottlePolicies(): { account: ThrottlePolicy; ip: ThrottlePolicy } {
  const env = getEnv();
  return {
    account: {
      lockSeconds: everyNthFailure(passwordLockoutThreshold(), env.PASSWORD_LOCKOUT_SECONDS),
      hardCap: 100,
    },
    ip: { lockSeconds: everyNthFailure(env.IP_FAILURE_THRESHOLD, env.PASSWORD_LOCKOUT_SECONDS) },
  };
}

/** Wrong services API keys from one address before it pauses: no service guesses its key. */
export const API_KEY_FAILURE_THRESHOLD = 10;

/**
 * Wrong, disabled or missing services API keys per calling address (R-A20.5): every 10th pauses
 * the address for PASSWORD_LOCKOUT_SECONDS, doubling up to an hour.
 */
export function apiKeyThrottlePolicy(): ThrottlePolicy {
  return {
    lockSeconds: everyNthFailure(API_KEY_FAILURE_THRESHOLD, getEnv().PASSWORD_LOCKOUT_SECONDS),
  };
}

/**
 * Second-factor throttling per authenticator (R-A11.2): from the 5th consecutive wrong code a
 * pause that starts at MFA_PAUSE_SECONDS (30 s) and doubles, every 10th a lock of
 * MFA_LOCK_SECONDS (15 min), and at 100 a lock until unlocked (R-A11.1). After a lock, every
 * further wrong code pauses at least MFA_PAUSE_SECONDS: the run is still consecutive.
 */
export function mfaThrottlePolicy(): ThrottlePolicy {
  const { MFA_PAUSE_SECONDS, MFA_LOCK_SECONDS } = getEnv();
  return {
    lockSeconds: (failures) => {
      if (failures % 10 === 0) return MFA_LOCK_SECONDS;
      if (failures < 5) return null;
      return Math.min(MFA_PAUSE_SECONDS * 2 ** Math.max((failures % 10) - 5, 0), MFA_LOCK_SECONDS);
    },
    hardCap: 100,
  };
}

/**
 * The same pauses across all of a person's ways, without the hard stop: that belongs to each
 * authenticator (R-A11.1), so a stolen password cannot lock out every way in for good (R-A11.6).
 */
export function mfaAccountThrottlePolicy(): ThrottlePolicy {
  return { lockSeconds: mfaThrottlePolicy().lockSeconds };
}

/**
 * Wrong codes in password resets, per account, on a counter of their own: the second step's
 * pauses, and after 100 in a row self-service reset is off until the helpdesk unlocks the
 * account (R-A11.1). Whoever knows an email can start a reset; all they can stop is resets,
 * never the owner's sign-in.
 */
export function passwordResetThrottlePolicy(): ThrottlePolicy {
  return mfaThrottlePolicy();
}

/**
 * Wrong app PINs in a row after which the server turns phone sign-in off for the device
 * (docs/decisions/0012); the notice and the help page say the same number.
 */
export const PIN_MAX_FAILURES = 5;

/** Where sign-in lands without a callbackUrl (UI-CONTRACT). */
export const AFTER_SIGN_IN_PATH = "/security-info";
