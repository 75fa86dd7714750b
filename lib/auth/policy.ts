import { getEnv } from "@/lib/env";
import { everyNthFailure, type ThrottlePolicy } from "@/lib/security/throttle";

// The sign-in and session policy in one place. Admin-editable settings will override these
// defaults; until then they come from the environment (.env.example).

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
        absoluteMs: env.PERSISTENT_SESSION_ABSOLUTE_DAYS * DAY_MS,
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
  return getEnv().REMEMBER_MFA_DAYS;
}

/** A sign-in in progress lives at most this long (R-A1.3). */
export function signInTransactionTtlMs(): number {
  return getEnv().SIGN_IN_TRANSACTION_MINUTES * MINUTE_MS;
}

/** Whether "Stay signed in?" is asked at the end of sign-in. */
export const STAY_SIGNED_IN_OFFERED = true;

/** Password-step throttling per account and per client address (R-A11.2, R-A11.1). */
export function passwordThrottlePolicies(): { account: ThrottlePolicy; ip: ThrottlePolicy } {
  const env = getEnv();
  return {
    account: {
      lockSeconds: everyNthFailure(env.PASSWORD_LOCKOUT_THRESHOLD, env.PASSWORD_LOCKOUT_SECONDS),
      hardCap: 100,
    },
    ip: { lockSeconds: everyNthFailure(env.IP_FAILURE_THRESHOLD, env.PASSWORD_LOCKOUT_SECONDS) },
  };
}

const MFA_LOCK_SECONDS = 15 * 60;
const MFA_FIRST_DELAY_SECONDS = 30;

/**
 * Second-factor throttling (R-A11.2): from the 5th consecutive wrong code a wait that starts at
 * 30 s and doubles, every 10th a 15-minute lock, and at 100 a lock until unlocked (R-A11.1).
 */
export const MFA_THROTTLE_POLICY: ThrottlePolicy = {
  lockSeconds: (failures) => {
    if (failures % 10 === 0) return MFA_LOCK_SECONDS;
    if (failures < 5) return null;
    return Math.min(MFA_FIRST_DELAY_SECONDS * 2 ** ((failures % 10) - 5), MFA_LOCK_SECONDS);
  },
  hardCap: 100,
};

/** Where sign-in lands without a callbackUrl (UI-CONTRACT). */
export const AFTER_SIGN_IN_PATH = "/security-info";
