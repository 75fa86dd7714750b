import { and, eq, gt, inArray, like, or, sql, type SQL } from "drizzle-orm";
import type { Executor } from "@/lib/db/client";
import { callerVerifications, outbox } from "@/lib/db/schema";
import { getEnv } from "@/lib/env";
import { clock } from "@/lib/clock";

// How often a phone may be sent a code or a call (R-A5.4): per person and per number, by hour and
// by day, with a wait that grows between sends. The caller locks first, so parallel sends count
// each other.

const DAY_MS = 24 * 3600_000;
const HOUR_MS = 3600_000;

type Window = {
  last: Date | null;
  hour: number;
  day: number;
  hourOldest: Date | null;
  dayOldest: Date | null;
};

/** Which outbox rows are code sends: texts and calls, or emailed codes (sensitive emails). */
type SendKind = "phone" | "email";

function sendsOf(kind: SendKind): SQL {
  return kind === "phone"
    ? inArray(outbox.channel, ["sms", "voice"])
    : and(eq(outbox.channel, "email"), eq(outbox.sensitive, true))!;
}

async function recentSends(db: Executor, scope: SQL, kind: SendKind = "phone"): Promise<Window> {
  const [row] = await db
    .select({
      last: sql<string | null>`max(${outbox.createdAt})`,
      hour: sql<number>`(count(*) filter (where ${outbox.createdAt} > now() - interval '1 hour'))::int`,
      day: sql<number>`count(*)::int`,
      hourOldest: sql<
        string | null
      >`min(${outbox.createdAt}) filter (where ${outbox.createdAt} > now() - interval '1 hour')`,
      dayOldest: sql<string | null>`min(${outbox.createdAt})`,
    })
    .from(outbox)
    .where(and(scope, sendsOf(kind), gt(outbox.createdAt, sql`now() - interval '1 day'`)));
  const date = (v: string | null | undefined) => (v ? new Date(v) : null);
  return {
    last: date(row?.last),
    hour: row?.hour ?? 0,
    day: row?.day ?? 0,
    hourOldest: date(row?.hourOldest),
    dayOldest: date(row?.dayOldest),
  };
}

/** Seconds until one more send fits this window, or 0 when it fits now. */
function waitFor(window: Window, now: number): number {
  const env = getEnv();
  const waits = [0];
  if (window.last) waits.push(window.last.getTime() + env.PHONE_SEND_INTERVAL_SECONDS * 1000 - now);
  if (window.hour >= env.PHONE_SENDS_PER_HOUR && window.hourOldest)
    waits.push(window.hourOldest.getTime() + HOUR_MS - now);
  if (window.day >= env.PHONE_SENDS_PER_DAY && window.dayOldest)
    waits.push(window.dayOldest.getTime() + DAY_MS - now);
  return Math.max(0, Math.ceil(Math.max(...waits) / 1000));
}

/**
 * Whether one more text or call may go to this number for this account now (R-A5.4): per account,
 * per number and within a global daily budget. A number the person has already verified counts
 * only their own sends — so nobody else can use up the owner's budget by registering it — while
 * an unverified number counts every account's sends (harassment, toll fraud). The caller holds
 * the locks. Returns the seconds to wait, 0 when it may go now.
 */
export async function sendAllowance(
  db: Executor,
  userId: string,
  e164: string,
  numberVerified: boolean,
): Promise<number> {
  const now = clock.ms();
  const toNumber = or(eq(outbox.recipient, e164), like(outbox.recipient, `${e164};ext=%`))!;
  const [account, number, [global]] = await Promise.all([
    recentSends(db, eq(outbox.userId, userId)),
    recentSends(db, numberVerified ? and(toNumber, eq(outbox.userId, userId))! : toNumber),
    db
      .select({ n: sql<number>`count(*)::int` })
      .from(outbox)
      .where(
        and(
          inArray(outbox.channel, ["sms", "voice"]),
          gt(outbox.createdAt, sql`now() - interval '1 day'`),
        ),
      ),
  ]);
  if ((global?.n ?? 0) >= getEnv().PHONE_DAILY_BUDGET) return 3600;
  return Math.max(waitFor(account, now), waitFor(number, now));
}

/** Serialises sends for one account and one number across instances (transaction-scoped locks). */
export async function lockSends(db: Executor, userId: string, e164: string): Promise<void> {
  await db.execute(sql`select pg_advisory_xact_lock(hashtext(${`phone-send:${userId}`}))`);
  await db.execute(sql`select pg_advisory_xact_lock(hashtext(${`phone-send:${e164}`}))`);
}

/**
 * Whether one more emailed code may go to this alternate address for this account now: the
 * spacing and the hourly and daily limits of texts (R-A5.4), counted per account and per address
 * across every account, so a stranger cannot flood an address by naming it. The helpdesk's codes
 * (`from: "helpdesk"`, a caller check) are counted apart from the person's own (enrolment, reset,
 * recovery), which anyone who knows an email can ask for: neither can use up the other's. The
 * caller holds lockEmailSends. Returns the seconds to wait, 0 when it may go now.
 */
export async function emailCodeAllowance(
  db: Executor,
  userId: string,
  address: string,
  from: "person" | "helpdesk" = "person",
): Promise<number> {
  const now = clock.ms();
  const helpdesk = sql`${outbox.reference} in (select ${callerVerifications.id}::text from ${callerVerifications})`;
  const kind = from === "helpdesk" ? helpdesk : sql`not coalesce(${helpdesk}, false)`;
  const [account, destination] = await Promise.all([
    recentSends(db, and(eq(outbox.userId, userId), kind)!, "email"),
    recentSends(
      db,
      and(eq(sql`lower(${outbox.recipient})`, address.toLowerCase()), kind)!,
      "email",
    ),
  ]);
  return Math.max(waitFor(account, now), waitFor(destination, now));
}

/** Serialises emailed codes for one account and one address across instances. */
export async function lockEmailSends(db: Executor, userId: string, address: string): Promise<void> {
  await db.execute(sql`select pg_advisory_xact_lock(hashtext(${`email-send:${userId}`}))`);
  await db.execute(
    sql`select pg_advisory_xact_lock(hashtext(${`email-send:${address.toLowerCase()}`}))`,
  );
}
