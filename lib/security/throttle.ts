import { and, eq, sql } from "drizzle-orm";
import type { Executor } from "@/lib/db/client";
import { authThrottles } from "@/lib/db/schema";
import { databaseNowPlus } from "@/lib/db/time";

export type ThrottleScope =
  | "password:account"
  | "password:ip"
  | "mfa:account"
  | "mfa:option"
  | "access_pass:account"
  | "password_reset:account"
  | "api_key:ip"
  | "email_code:account";

export type ThrottlePolicy = {
  /** How long to lock after the n-th consecutive counted failure; null for no lock. */
  lockSeconds: (failures: number) => number | null;
  /** Consecutive failures after which the step stays locked until someone unlocks it (R-A11.1). */
  hardCap?: number;
};

/** NIST-B4 §3.2.2: waits grow "up to an hour". */
export const MAX_LOCK_SECONDS = 3600;
/** Far enough to mean "until unlocked"; 'infinity' does not survive the trip into a Date. */
const HARD_LOCK_SECONDS = 100 * 365 * 24 * 3600;
/** How many recent wrong passwords are remembered so repeating one does not count again. */
const REMEMBERED_FINGERPRINTS = 10;

/** Lock at every `threshold`-th failure, `base` seconds doubling each time, capped at an hour. */
export function everyNthFailure(
  threshold: number,
  baseSeconds: number,
): ThrottlePolicy["lockSeconds"] {
  return (failures) =>
    failures % threshold === 0
      ? Math.min(baseSeconds * 2 ** (failures / threshold - 1), MAX_LOCK_SECONDS)
      : null;
}

/** A hard lock's wait, in seconds, is held at the largest integer the database returns. */
const INT_MAX = 2_147_483_647;

/**
 * A counter and its lock. The lock's end is written and checked with the database's clock
 * (docs/decisions/0016-time.md); `secondsLeft` counts it down with that clock too, 0 when none.
 */
export type ThrottleState = { failures: number; lockedUntil: Date | null; secondsLeft: number };

const secondsLeft = sql<number>`coalesce(least(greatest(0, ceil(extract(epoch from ${authThrottles.lockedUntil} - now()))), ${INT_MAX}), 0)::int`;

/** The current counter; `locked` when a lock is in force now. */
export async function getThrottle(
  db: Executor,
  scope: ThrottleScope,
  key: string,
): Promise<ThrottleState & { locked: boolean }> {
  const [row] = await db
    .select({
      failures: authThrottles.failures,
      lockedUntil: authThrottles.lockedUntil,
      secondsLeft,
    })
    .from(authThrottles)
    .where(and(eq(authThrottles.scope, scope), eq(authThrottles.key, key)));
  const state = row ?? { failures: 0, lockedUntil: null, secondsLeft: 0 };
  return { ...state, locked: state.secondsLeft > 0 };
}

/**
 * Counts one failure under a row lock, so parallel requests and instances neither lose nor double
 * a count (R-A11.3); locks only ever get longer. `repeatedPassword` is for passwords alone: one
 * seen recently is not counted again (docs/decisions/0002).
 */
export async function recordFailure(
  db: Executor,
  scope: ThrottleScope,
  key: string,
  policy: ThrottlePolicy,
  repeatedPassword?: { fingerprint: string },
): Promise<ThrottleState & { lockStarted: boolean; counted: boolean }> {
  const secretFingerprint = repeatedPassword?.fingerprint;
  return db.transaction(async (tx) => {
    await tx.insert(authThrottles).values({ scope, key }).onConflictDoNothing();
    const [row] = await tx
      .select({
        failures: authThrottles.failures,
        recent: authThrottles.recentFingerprints,
        lockedUntil: authThrottles.lockedUntil,
        secondsLeft,
      })
      .from(authThrottles)
      .where(and(eq(authThrottles.scope, scope), eq(authThrottles.key, key)))
      .for("update");
    const current = row!;
    if (secretFingerprint !== undefined && current.recent.includes(secretFingerprint)) {
      return {
        failures: current.failures,
        lockedUntil: current.lockedUntil,
        secondsLeft: current.secondsLeft,
        lockStarted: false,
        counted: false,
      };
    }
    const failures = current.failures + 1;
    const seconds =
      policy.hardCap !== undefined && failures >= policy.hardCap
        ? HARD_LOCK_SECONDS
        : policy.lockSeconds(failures);
    // A lock only ever gets longer: an earlier, longer one stays (greatest ignores a null).
    const lockEnd =
      seconds === null
        ? authThrottles.lockedUntil
        : sql`greatest(${authThrottles.lockedUntil}, ${databaseNowPlus(seconds * 1000)})`;
    const [updated] = await tx
      .update(authThrottles)
      .set({
        failures,
        recentFingerprints:
          secretFingerprint === undefined
            ? current.recent
            : [secretFingerprint, ...current.recent].slice(0, REMEMBERED_FINGERPRINTS),
        lockedUntil: lockEnd,
        updatedAt: sql`now()`,
      })
      .where(and(eq(authThrottles.scope, scope), eq(authThrottles.key, key)))
      .returning({ lockedUntil: authThrottles.lockedUntil, secondsLeft });
    const lockedUntil = updated!.lockedUntil;
    const lockStarted =
      lockedUntil !== null && lockedUntil.getTime() !== current.lockedUntil?.getTime();
    return { failures, lockedUntil, secondsLeft: updated!.secondsLeft, lockStarted, counted: true };
  });
}

/** Forgets failures after a success (R-A11.4) or an unlock. */
export async function resetThrottle(
  db: Executor,
  scope: ThrottleScope,
  key: string,
): Promise<void> {
  await db
    .delete(authThrottles)
    .where(and(eq(authThrottles.scope, scope), eq(authThrottles.key, key)));
}
