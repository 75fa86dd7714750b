import { sql } from "drizzle-orm";
import { signInRetentionDays } from "@/lib/settings/policy";
import type { Db, Tx } from "@/lib/db/client";

// sign_in_events is partitioned by calendar month (UTC) on `at`, with a default partition for a
// row whose month has no partition yet (drizzle/0008_partition-sign-in-events.sql). This module
// keeps the months: it creates them ahead, moves rows the default partition caught into their
// month, and applies retention by dropping whole months and deleting the rest
// (docs/decisions/0013-partitioned-sign-in-events.md).

const PARENT = "sign_in_events";
const DEFAULT_PARTITION = "sign_in_events_default";

/** Months created ahead of the current one. */
export const PARTITION_MONTHS_AHEAD = 2;

// Every change to the partitions holds this lock, so two instances never race to create or drop
// the same month. Any constant works; it only has to be the same for every instance of Factor.
const PARTITION_LOCK_ID = 4_242_002;

// Creating or dropping a partition briefly locks the table against sign-ins: never queue behind
// a long query for longer than this (the next hourly run tries again).
const PARTITION_LOCK_TIMEOUT_MS = 5000;

const DAY_MS = 86_400_000;

/** One calendar month in UTC: its partition's name and bounds [from, to). */
export type PartitionMonth = { name: string; from: Date; to: Date };

/** The month (UTC) holding `date`, `offset` months later. */
export function partitionMonth(date: Date, offset = 0): PartitionMonth {
  const from = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + offset, 1));
  const to = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + 1, 1));
  const month = String(from.getUTCMonth() + 1).padStart(2, "0");
  return { name: `${PARENT}_${from.getUTCFullYear()}_${month}`, from, to };
}

/** The months overlapping [from, to], oldest first. */
function monthsBetween(from: Date, to: Date): PartitionMonth[] {
  const months: PartitionMonth[] = [];
  for (let month = partitionMonth(from); month.from <= to; month = partitionMonth(month.to)) {
    months.push(month);
  }
  return months;
}

/** A partition of sign_in_events; the default partition has no bounds. */
export type SignInEventPartition = { name: string; from: Date | null; to: Date | null };

/** The table's partitions, oldest first, the default partition last. */
export async function listSignInEventPartitions(db: Db | Tx): Promise<SignInEventPartition[]> {
  const result = await db.execute<{ name: string; from: Date | null; to: Date | null }>(sql`
    select c.relname as name,
           (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM [(]''([^'']+)''[)]'))[1]::timestamptz as "from",
           (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO [(]''([^'']+)''[)]'))[1]::timestamptz as "to"
    from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = ${PARENT}::regclass
    order by 2 nulls last, 1`);
  return result.rows.map((row) => ({
    name: row.name,
    from: row.from === null ? null : new Date(row.from),
    to: row.to === null ? null : new Date(row.to),
  }));
}

/** What one maintenance run did. */
export type PartitionMaintenance = {
  /** Partitions created. */
  created: string[];
  /** Rows moved out of the default partition into the months created for them. */
  moved: number;
  /** Partitions dropped: every row in them was past retention. */
  dropped: string[];
  /** Events removed by retention, in dropped partitions and by DELETE. */
  removed: number;
  /** Partitions left for the next run because the table stayed busy past the lock timeout. */
  skipped: string[];
};

type Options = {
  /** The time to reckon from; the database's clock when absent. */
  now?: Date;
  /** Days of events kept; the policy's (SIGN_IN_RETENTION_DAYS) when absent. */
  retentionDays?: number;
};

/**
 * Keeps sign_in_events' partitions: retention first (whole months older than the retention are
 * dropped, older rows in the months kept are deleted), then this month and the next
 * PARTITION_MONTHS_AHEAD exist, and any month the default partition caught rows for gets its
 * partition with those rows. Safe to run from several instances at once. Run at start and hourly.
 */
export async function maintainSignInEventPartitions(
  db: Db,
  options: Options = {},
): Promise<PartitionMaintenance> {
  const now = options.now ?? (await databaseNow(db));
  const retentionDays = options.retentionDays ?? signInRetentionDays();
  const retention = await applyRetention(db, now, retentionDays);
  const cutoff = new Date(now.getTime() - retentionDays * DAY_MS);
  const horizon = partitionMonth(now, PARTITION_MONTHS_AHEAD).to;
  // Months the default partition holds rows for, within what is kept and what is created ahead.
  const caught = await db.execute<{ month: string }>(sql`
    select distinct to_char(date_trunc('month', at at time zone 'UTC'), 'YYYY-MM-DD') as month
    from ${sql.identifier(DEFAULT_PARTITION)}
    where at >= ${cutoff.toISOString()}::timestamptz and at < ${horizon.toISOString()}::timestamptz`);
  const months = new Map<string, PartitionMonth>();
  for (const row of caught.rows) {
    const month = partitionMonth(new Date(`${row.month}T00:00:00Z`));
    months.set(month.name, month);
  }
  for (let offset = 0; offset <= PARTITION_MONTHS_AHEAD; offset++) {
    const month = partitionMonth(now, offset);
    months.set(month.name, month);
  }
  const creation = await createPartitions(
    db,
    [...months.values()].sort((a, b) => a.from.getTime() - b.from.getTime()),
  );
  return {
    created: creation.created,
    moved: creation.moved,
    dropped: retention.dropped,
    removed: retention.removed,
    skipped: [...retention.skipped, ...creation.skipped],
  };
}

/**
 * Creates the partitions of every month overlapping [from, to] that does not have one, moving
 * any rows the default partition holds for them. For loading history (the benchmark's seed).
 */
export async function ensureSignInEventPartitions(
  db: Db,
  range: { from: Date; to: Date },
): Promise<Pick<PartitionMaintenance, "created" | "moved" | "skipped">> {
  return createPartitions(db, monthsBetween(range.from, range.to));
}

/**
 * Deletes events older than the retention policy (R-A14.7): partitions whose every row is past
 * it are dropped whole, and older rows in the oldest kept partition (and the default partition)
 * are deleted. Returns how many events went.
 */
export async function purgeOldSignInEvents(db: Db, options: Options = {}): Promise<number> {
  const now = options.now ?? (await databaseNow(db));
  return (await applyRetention(db, now, options.retentionDays ?? signInRetentionDays())).removed;
}

async function databaseNow(db: Db): Promise<Date> {
  const result = await db.execute<{ now: Date | string }>(sql`select now() as now`);
  return new Date(result.rows[0]!.now);
}

async function applyRetention(
  db: Db,
  now: Date,
  retentionDays: number,
): Promise<{ dropped: string[]; removed: number; skipped: string[] }> {
  const cutoff = new Date(now.getTime() - retentionDays * DAY_MS);
  const dropped: string[] = [];
  const skipped: string[] = [];
  let removed = 0;
  for (const partition of await listSignInEventPartitions(db)) {
    if (partition.to === null || partition.to > cutoff) continue;
    // Once the table is busy, the next drop would wait as long again: leave it to the next run.
    if (skipped.length > 0) {
      skipped.push(partition.name);
      continue;
    }
    const gone = await underPartitionLock(db, async (tx) => {
      if (!(await tableExists(tx, partition.name))) return null;
      const count = await tx.execute<{ n: number }>(
        sql`select count(*)::int as n from ${sql.identifier(partition.name)}`,
      );
      await tx.execute(sql`drop table ${sql.identifier(partition.name)}`);
      return count.rows[0]!.n;
    });
    if (gone === "busy") skipped.push(partition.name);
    else if (gone !== null) {
      dropped.push(partition.name);
      removed += gone;
    }
  }
  // A month left undone would otherwise be emptied row by row below, the very cost dropping it
  // whole avoids: the next run drops it, then deletes the rest.
  if (skipped.length > 0) return { dropped, removed, skipped };
  // The rest: older rows of the month the cut-off falls in, and any in the default partition.
  // Counted in the database: a first purge after a long pause may remove millions of rows.
  const deleted = await db.execute<{ removed: number }>(sql`
    with gone as (delete from ${sql.identifier(PARENT)} where at < ${cutoff.toISOString()}::timestamptz returning 1)
    select count(*)::int as removed from gone`);
  removed += deleted.rows[0]?.removed ?? 0;
  return { dropped, removed, skipped };
}

async function createPartitions(
  db: Db,
  months: PartitionMonth[],
): Promise<{ created: string[]; moved: number; skipped: string[] }> {
  const existing = new Set((await listSignInEventPartitions(db)).map((p) => p.name));
  const created: string[] = [];
  const skipped: string[] = [];
  let moved = 0;
  for (const month of months) {
    if (existing.has(month.name)) continue;
    if (skipped.length > 0) {
      skipped.push(month.name);
      continue;
    }
    const outcome = await underPartitionLock(db, (tx) => createPartition(tx, month));
    if (outcome === "busy") skipped.push(month.name);
    else if (outcome !== null) {
      created.push(month.name);
      moved += outcome.moved;
    }
  }
  return { created, moved, skipped };
}

/**
 * One month's partition, built beside the table and then attached: rows the default partition
 * caught for that month are moved into it first, since PostgreSQL refuses a partition whose
 * range overlaps rows in the default partition. Null when it already exists.
 */
async function createPartition(tx: Tx, month: PartitionMonth): Promise<{ moved: number } | null> {
  if (await tableExists(tx, month.name)) return null;
  const table = sql.identifier(month.name);
  const hasDefault = await tableExists(tx, DEFAULT_PARTITION);
  // Nothing may enter the default partition between moving its rows and attaching the month
  // (an insert there waits for this transaction; the others go on).
  if (hasDefault) {
    await tx.execute(sql`lock table ${sql.identifier(DEFAULT_PARTITION)} in access exclusive mode`);
  }
  await tx.execute(sql`create table ${table} (like ${sql.identifier(PARENT)} including defaults)`);
  let moved = 0;
  if (hasDefault) {
    const result = await tx.execute<{ moved: number }>(sql`
      with taken as (
        delete from ${sql.identifier(DEFAULT_PARTITION)}
        where at >= ${month.from.toISOString()}::timestamptz and at < ${month.to.toISOString()}::timestamptz
        returning *
      ), kept as (insert into ${table} select * from taken returning 1)
      select count(*)::int as moved from kept`);
    moved = result.rows[0]?.moved ?? 0;
  }
  // Partition bounds are literals (DDL takes no parameters); both are ISO times we made.
  await tx.execute(
    sql`alter table ${sql.identifier(PARENT)} attach partition ${table} for values from (${sql.raw(
      `'${month.from.toISOString()}'`,
    )}) to (${sql.raw(`'${month.to.toISOString()}'`)})`,
  );
  return { moved };
}

async function tableExists(tx: Tx, name: string): Promise<boolean> {
  const result = await tx.execute<{ found: boolean }>(
    sql`select to_regclass(${name}) is not null as found`,
  );
  return result.rows[0]!.found;
}

/**
 * Runs a change to the partitions in its own transaction, after every other instance's change:
 * "busy" when the table stayed locked by others past the lock timeout.
 */
async function underPartitionLock<T>(db: Db, change: (tx: Tx) => Promise<T>): Promise<T | "busy"> {
  try {
    return await db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${PARTITION_LOCK_ID})`);
      await tx.execute(sql.raw(`set local lock_timeout = ${PARTITION_LOCK_TIMEOUT_MS}`));
      return change(tx);
    });
  } catch (error) {
    if (errorCode(error) === "55P03") return "busy";
    throw error;
  }
}

/** PostgreSQL's SQLSTATE, from the driver's error or the one drizzle wraps. */
function errorCode(error: unknown): string | undefined {
  for (let e = error; e && typeof e === "object"; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}
