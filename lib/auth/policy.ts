import { getEnv } from "@/lib/env";

// The sign-in and session policy in one place. Admin-editable settings will override these
// defaults; until then they come from the environment (.env.example).

const MINUTE_MS = 60_000;

/** Session timeouts (R-A12.5): idle 30 min and absolute 12 h unless configured. */
export function sessionLimits() {
  const env = getEnv();
  return {
    idleMs: env.SESSION_IDLE_MINUTES * MINUTE_MS,
    absoluteMs: env.SESSION_ABSOLUTE_HOURS * 60 * MINUTE_MS,
  };
}

/** A sign-in in progress lives at most this long (R-A1.3). */
export function signInTransactionTtlMs(): number {
  return getEnv().SIGN_IN_TRANSACTION_MINUTES * MINUTE_MS;
}

/** Whether "Stay signed in?" is asked at the end of sign-in. */
export const STAY_SIGNED_IN_OFFERED = true;

/** Password-step throttling per account and per client address (R-A11.2, R-A11.1). */
export function passwordThrottlePolicies() {
  const env = getEnv();
  return {
    account: {
      threshold: env.PASSWORD_LOCKOUT_THRESHOLD,
      baseLockSeconds: env.PASSWORD_LOCKOUT_SECONDS,
      hardCap: 100,
    },
    ip: { threshold: env.IP_FAILURE_THRESHOLD, baseLockSeconds: env.PASSWORD_LOCKOUT_SECONDS },
  };
}
