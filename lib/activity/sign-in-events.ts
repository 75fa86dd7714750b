import { and, desc, eq, gt, inArray, lte, ne, sql, type SQL } from "drizzle-orm";
import { writeAudit } from "@/lib/audit/log";
import type { Executor } from "@/lib/db/client";
import { signInEvents } from "@/lib/db/schema";
import { lookupIp, type IpIntel } from "./ip-intel";
import { markNetworkKnown, type RiskAssessment, type RiskLevel, type RiskReason } from "./risk";
import { parseUserAgent, type DeviceInfo } from "./user-agent";
import type { RequestContext } from "@/lib/types/request";

// Every sign-in attempt leaves one row, written in the database transaction of its outcome
// (R-A14.1). A sign-in whose password was right starts as "interrupted", bound to its sign-in
// transaction; finishing it turns that same row into "success". So a sign-in abandoned half-way
// needs no job to be recorded: it simply never finishes (docs/decisions/0007-sign-in-events.md).

export type SignInResult = (typeof signInEvents.$inferSelect)["result"];

/** Why an event has its result. */
export const SIGN_IN_EVENT_REASONS = [
  // success
  "signed_in",
  "registered",
  /** Signed in with the password alone after "Ask me later" (docs/decisions/0022). */
  "registration_postponed",
  "step_up",
  /** An app's sign-in answered by a session already signed in (single sign-on). */
  "single_sign_on",
  // failure
  "wrong_password",
  "unknown_account",
  "account_disabled",
  "locked",
  "mfa_failed",
  "replayed_code",
  "access_pass_refused",
  /** The person may not use the service (a RADIUS client for other roles). */
  "not_allowed",
  /** The organisation's directory did not answer, so the password could not be checked. */
  "directory_unavailable",
  /** The password was right, but the directory holds the account back (expired, disabled…). */
  "directory_refused",
  /** The person denied the request on their phone, or did not answer it in time. */
  "mfa_denied",
  "mfa_timed_out",
  // interrupted: how far the sign-in got
  "mfa_abandoned",
  "registration_abandoned",
  "not_finished",
] as const;
export type SignInEventReason = (typeof SIGN_IN_EVENT_REASONS)[number];

/** The person's answer about an event. */
export type SignInVerdict = "confirmed" | "reported";

/** What a request looked like from here: where it came from and what sent it. */
export type RequestOrigin = { intel: IpIntel; device: DeviceInfo };

/** Looks up the address and parses the user agent. Call before opening a transaction. */
export async function lookupOrigin(context: RequestContext): Promise<RequestOrigin> {
  return { intel: await lookupIp(context.ip), device: parseUserAgent(context.userAgent) };
}

export type NewSignInEvent = {
  /** Null when the email matched no account. */
  userId: string | null;
  result: SignInResult;
  reason: SignInEventReason;
  methods?: string[];
  transactionId?: string | null;
  sessionId?: string | null;
  risk?: RiskAssessment;
  /** Already looked up (the password step needs it for the risk rules); otherwise looked up here. */
  origin?: RequestOrigin;
  /** The OpenID Connect app signed in to; the portal itself when absent. */
  app?: { name: string; clientId: string };
};

const clip = (value: string | null | undefined, length: number) =>
  value ? value.slice(0, length) : null;

/** Writes one sign-in event; pass the transaction that records the attempt's outcome. */
export async function recordSignInEvent(
  tx: Executor,
  event: NewSignInEvent,
  context: RequestContext,
): Promise<number> {
  const { intel, device } = event.origin ?? (await lookupOrigin(context));
  const [row] = await tx
    .insert(signInEvents)
    .values({
      userId: event.userId,
      result: event.result,
      reason: event.reason,
      ...(event.app ? { app: event.app.name.slice(0, 100), clientId: event.app.clientId } : {}),
      methods: event.methods ?? [],
      transactionId: event.transactionId ?? null,
      sessionId: event.sessionId ?? null,
      ip: intel.ip ?? context.ip,
      countryCode: intel.countryCode,
      countryName: clip(intel.countryName, 100),
      city: clip(intel.city, 100),
      latitude: intel.latitude,
      longitude: intel.longitude,
      asn: intel.asn,
      isp: clip(intel.isp, 200),
      userAgent: clip(context.userAgent, 512),
      browser: clip(device.browser, 100),
      os: clip(device.os, 100),
      deviceType: device.deviceType,
      riskLevel: event.risk?.level ?? "none",
      riskReasons: event.risk?.reasons ?? [],
    })
    .returning({ id: signInEvents.id });
  return row!.id;
}

/**
 * A sign-in in progress began at most SIGN_IN_TRANSACTION_MINUTES (10 at most) ago: the bound
 * lets a lookup by transaction skip every monthly partition but the newest.
 */
const IN_PROGRESS = sql`${signInEvents.at} > now() - interval '1 day'`;

/**
 * Moves a sign-in's pending event on as it passes a step (its methods so far; "registered" when
 * the person set up a method to get in, "registration_postponed" when they chose "Ask me later").
 * Returns false when the transaction has no pending event.
 */
export async function advanceSignInEvent(
  tx: Executor,
  transactionId: string,
  patch: { methods: string[]; registered: boolean } | { methods: string[]; postponed: true },
): Promise<boolean> {
  const reason: SignInEventReason =
    "postponed" in patch
      ? "registration_postponed"
      : patch.registered
        ? "registered"
        : "not_finished";
  const rows = await tx
    .update(signInEvents)
    .set({ methods: patch.methods, reason })
    .where(
      and(
        eq(signInEvents.transactionId, transactionId),
        eq(signInEvents.result, "interrupted"),
        IN_PROGRESS,
      ),
    )
    .returning({ id: signInEvents.id });
  return rows.length > 0;
}

/**
 * Records a finished sign-in or step-up with the session it created, in the transaction that
 * creates the session: the pending event of the sign-in becomes "success", or — for a step-up,
 * which has none — a new success event is written.
 */
export async function finishSignInEvent(
  tx: Executor,
  input: {
    userId: string;
    transactionId: string;
    purpose: "sign_in" | "step_up";
    /** Null for a service's sign-in (RADIUS), which opens no session here. */
    sessionId: string | null;
    methods: string[];
    origin?: RequestOrigin;
  },
  context: RequestContext,
): Promise<void> {
  const finished = await tx
    .update(signInEvents)
    .set({
      result: "success",
      reason: sql`case when ${signInEvents.reason} in ('registered', 'registration_postponed') then ${signInEvents.reason} else 'signed_in' end`,
      methods: input.methods,
      sessionId: input.sessionId,
      // Bound to the transaction only until it finishes.
      transactionId: null,
    })
    .where(
      and(
        eq(signInEvents.transactionId, input.transactionId),
        eq(signInEvents.userId, input.userId),
        eq(signInEvents.result, "interrupted"),
        IN_PROGRESS,
      ),
    )
    .returning({ id: signInEvents.id });
  if (finished.length > 0) return;
  await recordSignInEvent(
    tx,
    {
      userId: input.userId,
      result: "success",
      reason: input.purpose === "step_up" ? "step_up" : "signed_in",
      methods: input.methods,
      sessionId: input.sessionId,
      origin: input.origin,
    },
    context,
  );
}

/**
 * Ends a sign-in's pending event as a failure after its password (a push denied, a service the
 * person may not use). Returns false when the transaction has no pending event.
 */
export async function failSignInEvent(
  tx: Executor,
  transactionId: string,
  reason: SignInEventReason,
): Promise<boolean> {
  const rows = await tx
    .update(signInEvents)
    .set({ result: "failure", reason, transactionId: null })
    .where(
      and(
        eq(signInEvents.transactionId, transactionId),
        eq(signInEvents.result, "interrupted"),
        IN_PROGRESS,
      ),
    )
    .returning({ id: signInEvents.id });
  return rows.length > 0;
}

/** The risk found at the password step of a sign-in still in progress ("none" when unknown). */
export async function getTransactionRisk(db: Executor, transactionId: string): Promise<RiskLevel> {
  const [row] = await db
    .select({ level: signInEvents.riskLevel })
    .from(signInEvents)
    .where(and(eq(signInEvents.transactionId, transactionId), IN_PROGRESS))
    .orderBy(desc(signInEvents.id))
    .limit(1);
  return row?.level ?? "none";
}

/** True for the levels that add friction: always a second factor, no "Stay signed in?". */
export function isRisky(level: RiskLevel): boolean {
  return level === "medium" || level === "high";
}

/** High-risk sign-ins with the right password before a password change is required. */
export const HIGH_RISK_SIGN_INS_BEFORE_PASSWORD_CHANGE = 3;
export const HIGH_RISK_WINDOW_DAYS = 30;

/** High-risk sign-ins (right password, finished or not) of one person in the last 30 days. */
export async function countRecentHighRiskSignIns(db: Executor, userId: string): Promise<number> {
  const [row] = await db
    .select({ count: sql<number>`count(*)::int` })
    .from(signInEvents)
    .where(
      and(
        eq(signInEvents.userId, userId),
        gt(signInEvents.at, sql`now() - make_interval(days => ${HIGH_RISK_WINDOW_DAYS})`),
        eq(signInEvents.riskLevel, "high"),
        ne(signInEvents.result, "failure"),
      ),
    );
  return row?.count ?? 0;
}

// ── My sign-ins ─────────────────────────────────────────────────────────────

export const SIGN_IN_FILTERS = ["all", "success", "failure", "unusual"] as const;
export type SignInFilter = (typeof SIGN_IN_FILTERS)[number];

/** One event as the person may see it (their own only). */
export type SignInEventItem = {
  id: number;
  at: Date;
  app: string;
  result: SignInResult;
  reason: SignInEventReason;
  methods: string[];
  ip: string | null;
  countryCode: string | null;
  countryName: string | null;
  city: string | null;
  asn: number | null;
  isp: string | null;
  userAgent: string | null;
  browser: string | null;
  os: string | null;
  deviceType: DeviceInfo["deviceType"];
  riskLevel: RiskLevel;
  riskReasons: RiskReason[];
  verdict: SignInVerdict | null;
};

const itemColumns = {
  id: signInEvents.id,
  at: signInEvents.at,
  app: signInEvents.app,
  result: signInEvents.result,
  reason: signInEvents.reason,
  methods: signInEvents.methods,
  ip: signInEvents.ip,
  countryCode: signInEvents.countryCode,
  countryName: signInEvents.countryName,
  city: signInEvents.city,
  asn: signInEvents.asn,
  isp: signInEvents.isp,
  userAgent: signInEvents.userAgent,
  browser: signInEvents.browser,
  os: signInEvents.os,
  deviceType: signInEvents.deviceType,
  riskLevel: signInEvents.riskLevel,
  riskReasons: signInEvents.riskReasons,
  verdict: signInEvents.verdict,
};

const FILTER_CONDITIONS: Record<SignInFilter, SQL | undefined> = {
  all: undefined,
  success: eq(signInEvents.result, "success"),
  failure: inArray(signInEvents.result, ["failure", "interrupted"]),
  unusual: inArray(signInEvents.riskLevel, ["medium", "high"]),
};

export const SIGN_IN_PAGE_SIZE_MAX = 100;

// A cursor is the last item's time in microseconds since the epoch and its id: exact, since a
// JavaScript Date would round PostgreSQL's microseconds away and skip rows on the next page.
const CURSOR_PATTERN = /^(\d{1,17})-(\d{1,18})$/;
const atMicros = sql<string>`(extract(epoch from ${signInEvents.at}) * 1000000)::bigint::text`;

function parseCursor(cursor: string | undefined): { micros: string; id: string } | null {
  const match = cursor ? CURSOR_PATTERN.exec(cursor) : null;
  return match ? { micros: match[1]!, id: match[2]! } : null;
}

/** The query behind one page: newest first, after the cursor, one row more than the page. */
export function signInEventsPageQuery(
  db: Executor,
  userId: string,
  options: { filter: SignInFilter; cursor?: string; limit: number },
) {
  const after = parseCursor(options.cursor);
  const afterAt = after
    ? sql`('epoch'::timestamptz + ${after.micros}::bigint * interval '1 microsecond')`
    : undefined;
  return (
    db
      .select({ ...itemColumns, cursorMicros: atMicros })
      .from(signInEvents)
      .where(
        and(
          eq(signInEvents.userId, userId),
          FILTER_CONDITIONS[options.filter],
          after
            ? sql`(${signInEvents.at}, ${signInEvents.id}) < (${afterAt}, ${after.id}::bigint)`
            : undefined,
          // Implied by the row comparison, but only this form lets PostgreSQL skip the months
          // (partitions) after the cursor.
          afterAt ? lte(signInEvents.at, afterAt) : undefined,
        ),
      )
      // "nulls last" as in the index: a plain "desc" means "nulls first" and could not use it.
      .orderBy(sql`${signInEvents.at} desc nulls last`, sql`${signInEvents.id} desc nulls last`)
      .limit(options.limit + 1)
  );
}

/**
 * One page of a person's sign-ins, newest first, by keyset on (at, id) so every page is as fast
 * as the first and stable while new events arrive (index sign_in_events_user_at_idx). An
 * unreadable cursor gives the first page.
 */
export async function listSignInEvents(
  db: Executor,
  userId: string,
  options: { filter: SignInFilter; cursor?: string; limit: number },
): Promise<{ items: SignInEventItem[]; nextCursor: string | null }> {
  const limit = Math.max(1, Math.min(Math.trunc(options.limit), SIGN_IN_PAGE_SIZE_MAX));
  const rows = await signInEventsPageQuery(db, userId, { ...options, limit });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(({ cursorMicros: _cursor, ...item }) => ({
      ...item,
      reason: item.reason as SignInEventReason,
      riskReasons: item.riskReasons as RiskReason[],
      deviceType: item.deviceType as DeviceInfo["deviceType"],
    })),
    nextCursor: rows.length > limit && last ? `${last.cursorMicros}-${last.id}` : null,
  };
}

/** One of the person's own events, or null (another person's id looks like a missing one). */
export async function getSignInEvent(
  db: Executor,
  userId: string,
  eventId: number,
): Promise<SignInEventItem | null> {
  const [row] = await db
    .select(itemColumns)
    .from(signInEvents)
    .where(and(eq(signInEvents.id, eventId), eq(signInEvents.userId, userId)));
  return row
    ? {
        ...row,
        reason: row.reason as SignInEventReason,
        riskReasons: row.riskReasons as RiskReason[],
        deviceType: row.deviceType as DeviceInfo["deviceType"],
      }
    : null;
}

/**
 * "This was me" / "This wasn't me" on one of the person's own events (R-A14.2: scoped by user;
 * another person's event id changes nothing and returns null). "This was me" on a sign-in from a
 * hosting or VPN network marks that network known, so it counts as less risky for them later.
 * Audited in the same transaction.
 */
export async function setVerdict(
  db: Executor,
  userId: string,
  eventId: number,
  verdict: SignInVerdict,
  context: RequestContext = { ip: null, userAgent: null },
): Promise<{ id: number; networkMarkedKnown: boolean } | null> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(signInEvents)
      .set({ verdict, verdictAt: sql`now()` })
      .where(and(eq(signInEvents.id, eventId), eq(signInEvents.userId, userId)))
      .returning({ id: signInEvents.id, asn: signInEvents.asn, reasons: signInEvents.riskReasons });
    if (!row) return null;
    const networkMarkedKnown =
      verdict === "confirmed" && row.asn !== null && row.reasons.includes("hosting_network");
    if (networkMarkedKnown) await markNetworkKnown(tx, userId, row.asn!);
    await writeAudit(tx, {
      action: verdict === "confirmed" ? "activity.sign_in.confirmed" : "activity.sign_in.reported",
      outcome: "success",
      actorId: userId,
      subjectId: userId,
      ip: context.ip,
      userAgent: context.userAgent,
      details: { eventId, ...(networkMarkedKnown ? { knownAsn: row.asn } : {}) },
    });
    return { id: row.id, networkMarkedKnown };
  });
}
