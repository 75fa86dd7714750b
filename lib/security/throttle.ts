import { and, eq, sql } from "drizzle-orm";
import type { Executor } from "@/lib/db/client";
import { authThrottles } from "@/lib/db/schema";

export type ThrottleScope = "password:account" | "password:ip";

export type ThrottlePolicy = {
  /** Every this-many counted failures locks the step. */
  threshold: number;
  /** First lock length; each further lock doubles it, up to MAX_LOCK_SECONDS. */
  baseLockSeconds: number;
  /** Consecutive failures after which the step stays locked until someone unlocks it (R-A11.1). */
  hardCap?: number;
};

/** NIST-B4 §3.2.2: waits grow "up to an hour". */
export const MAX_LOCK_SECONDS = 3600;
/** How many recent wrong secrets are remembered so repeating one does not count again. */
const REMEMBERED_FINGERPRINTS = 10;

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
 * Counts one failure in a single atomic upsert, so parallel requests and several app instances
 * can neither lose nor double a count (R-A11.3). A wrong secret seen recently is not counted
 * again. Returns the state after the update and whether this failure started a lock.
 */
export async function recordFailure(
  db: Executor,
  scope: ThrottleScope,
  key: string,
  secretFingerprint: string,
  policy: ThrottlePolicy,
): Promise<ThrottleState & { lockStarted: boolean }> {
  const t = authThrottles;
  const isRepeat = sql`${secretFingerprint} = any(${t.recentFingerprints})`;
  const counted = sql`(case when ${isRepeat} then 0 else 1 end)`;
  const newFailures = sql`(${t.failures} + ${counted})`;
  const lockSeconds = sql`least(${policy.baseLockSeconds} * power(2, (${newFailures} / ${policy.threshold}) - 1), ${MAX_LOCK_SECONDS})`;
  const hardCap = policy.hardCap ?? 2_147_483_647;
  const firstLock =
    policy.threshold <= 1
      ? sql`now() + make_interval(secs => ${policy.baseLockSeconds})`
      : sql`null::timestamptz`;

  const [row] = await db
    .insert(t)
    .values({
      scope,
      key,
      failures: 1,
      recentFingerprints: [secretFingerprint],
      lockedUntil: firstLock,
    })
    .onConflictDoUpdate({
      target: [t.scope, t.key],
      set: {
        failures: newFailures,
        recentFingerprints: sql`case when ${isRepeat} then ${t.recentFingerprints}
          else (array[${secretFingerprint}]::text[] || ${t.recentFingerprints})[1:${REMEMBERED_FINGERPRINTS}] end`,
        lockedUntil: sql`case
          when ${counted} = 1 and ${newFailures} >= ${hardCap} then now() + interval '100 years'
          when ${counted} = 1 and ${newFailures} % ${policy.threshold} = 0 then now() + make_interval(secs => ${lockSeconds})
          else ${t.lockedUntil} end`,
        updatedAt: sql`now()`,
      },
    })
    .returning({
      failures: t.failures,
      lockedUntil: t.lockedUntil,
    });
  const state = row!;
  return { ...state, lockStarted: lockJustStarted(state, policy, hardCap) };
}

// A repeated secret right after a lock leaves the same state; only a lock set by this very
// update has an end time one full lock length from now.
function lockJustStarted(state: ThrottleState, policy: ThrottlePolicy, hardCap: number): boolean {
  if (!state.lockedUntil) return false;
  const remainingMs = state.lockedUntil.getTime() - Date.now();
  if (state.failures >= hardCap) return state.failures === hardCap && remainingMs > 0;
  if (state.failures % policy.threshold !== 0) return false;
  const lengthMs =
    Math.min(
      policy.baseLockSeconds * 2 ** (state.failures / policy.threshold - 1),
      MAX_LOCK_SECONDS,
    ) * 1000;
  return Math.abs(remainingMs - lengthMs) < 2000;
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
