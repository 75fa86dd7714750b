import { and, eq, sql } from "drizzle-orm";
import type { Executor } from "@/lib/db/client";
import { authThrottles } from "@/lib/db/schema";
import { clock } from "@/lib/clock";

export type ThrottleScope =
  "password:account" | "password:ip" | "mfa:account" | "mfa:option" | "access_pass:account";

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

export type ThrottleState = { failures: number; lockedUntil: Date | null };

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
      locked: sql<boolean>`coalesce(${authThrottles.lockedUntil} > now(), false)`,
    })
    .from(authThrottles)
    .where(and(eq(authThrottles.scope, scope), eq(authThrottles.key, key)));
  return row ?? { failures: 0, lockedUntil: null, locked: false };
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
      })
      .from(authThrottles)
      .where(and(eq(authThrottles.scope, scope), eq(authThrottles.key, key)))
      .for("update");
    const current = row!;
    if (secretFingerprint !== undefined && current.recent.includes(secretFingerprint)) {
      return {
        failures: current.failures,
        lockedUntil: current.lockedUntil,
        lockStarted: false,
        counted: false,
      };
    }
    const failures = current.failures + 1;
    const seconds =
      policy.hardCap !== undefined && failures >= policy.hardCap
        ? HARD_LOCK_SECONDS
        : policy.lockSeconds(failures);
    const newLockEnd = seconds === null ? null : new Date(clock.ms() + seconds * 1000);
    const lockStarted =
      newLockEnd !== null && (!current.lockedUntil || newLockEnd > current.lockedUntil);
    const lockedUntil = lockStarted ? newLockEnd : current.lockedUntil;
    await tx
      .update(authThrottles)
      .set({
        failures,
        recentFingerprints:
          secretFingerprint === undefined
            ? current.recent
            : [secretFingerprint, ...current.recent].slice(0, REMEMBERED_FINGERPRINTS),
        lockedUntil,
        updatedAt: sql`now()`,
      })
      .where(and(eq(authThrottles.scope, scope), eq(authThrottles.key, key)));
    return { failures, lockedUntil, lockStarted, counted: true };
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
