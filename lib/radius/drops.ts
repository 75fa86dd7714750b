import { clock } from "@/lib/clock";

// Packets the RADIUS server drops without an answer (R-A20.1), counted per reason for the
// console. Kept in this process only, on globalThis: the server and the console's pages load
// this module separately, and a flood of forged packets must not turn into database writes.

export const DROP_REASONS = [
  /** From an address no enabled client has. */
  "unknown_source",
  /** A Message-Authenticator missing where required, or wrong (a wrong shared secret). */
  "bad_authenticator",
  /** Not a well-formed RADIUS packet, or not an Access-Request. */
  "malformed",
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

type Counters = Record<DropReason, number> & { since: Date };

const store = globalThis as unknown as { __factorRadiusDrops?: Counters };

function counters(): Counters {
  store.__factorRadiusDrops ??= {
    unknown_source: 0,
    bad_authenticator: 0,
    malformed: 0,
    since: clock.now(),
  };
  return store.__factorRadiusDrops;
}

/** Counts one dropped packet. */
export function countDrop(reason: DropReason): void {
  counters()[reason] += 1;
}

/** The packets dropped since this process started, per reason and in all. */
export function getDropCounts(): Record<DropReason, number> & { total: number; since: Date } {
  const current = counters();
  const byReason = Object.fromEntries(DROP_REASONS.map((r) => [r, current[r]])) as Record<
    DropReason,
    number
  >;
  const total = DROP_REASONS.reduce((sum, reason) => sum + current[reason], 0);
  return { ...byReason, total, since: current.since };
}
