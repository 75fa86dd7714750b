import { sql, type SQL } from "drizzle-orm";

/**
 * The database's now() moved on (or back, for a negative amount) by some milliseconds. An expiry
 * the database will check is written by the same clock that checks it (docs/decisions/0016-time.md).
 */
export function databaseNowPlus(ms: number): SQL<Date> {
  return sql<Date>`now() + make_interval(secs => ${ms / 1000})`;
}
