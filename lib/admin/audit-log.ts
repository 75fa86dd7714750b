import { stringify } from "csv-stringify/sync";
import { and, desc, eq, gte, lt, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { AUDIT_ACTIONS, AUDIT_SENTENCES, type AuditAction } from "@/lib/audit/events";
import type { Executor } from "@/lib/db/client";
import { auditLog, users } from "@/lib/db/schema";
import { emailMatches } from "@/lib/auth/users";
import { isUuid } from "@/lib/security/ids";

// Reading the audit log for /admin/audit and its CSV export. Only ever SELECTs: the table is
// append-only, and the database refuses UPDATE, DELETE and TRUNCATE (R-A16.3).

export const AUDIT_PAGE_SIZE = 50;
/** The most rows one export holds; narrow the filters for more. */
export const AUDIT_EXPORT_MAX_ROWS = 50_000;

export type AuditFilters = {
  /** An email address or a user id. */
  actor?: string;
  subject?: string;
  action?: AuditAction;
  /** Inclusive start and exclusive end. */
  from?: Date;
  to?: Date;
};

export type AuditEntryView = {
  id: number;
  at: Date;
  action: string;
  sentence: string;
  outcome: "success" | "failure" | "denied";
  actor: { id: string; displayName: string | null; email: string | null } | null;
  subject: { id: string; displayName: string | null; email: string | null } | null;
  ip: string | null;
  userAgent: string | null;
  details: Record<string, string | number | boolean | null> | null;
};

export function isAuditAction(value: unknown): value is AuditAction {
  return typeof value === "string" && (AUDIT_ACTIONS as readonly string[]).includes(value);
}

/** A person named by email or id, as a user id; a name that matches nobody matches no row. */
async function resolvePerson(db: Executor, value: string | undefined): Promise<string | null> {
  const text = value?.trim();
  if (!text) return null;
  if (isUuid(text)) return text.toLowerCase();
  const [row] = await db.select({ id: users.id }).from(users).where(emailMatches(text));
  return row?.id ?? "00000000-0000-0000-0000-000000000000";
}

// A cursor is the last row's time in microseconds since the epoch and its id (exact: a
// JavaScript Date would round PostgreSQL's microseconds away and skip rows).
const CURSOR_PATTERN = /^(\d{1,17})-(\d{1,18})$/;
const atMicros = sql<string>`(extract(epoch from ${auditLog.at}) * 1000000)::bigint::text`;

async function query(
  db: Executor,
  filters: AuditFilters,
  options: { cursor?: string; limit: number },
) {
  const [actorId, subjectId] = await Promise.all([
    resolvePerson(db, filters.actor),
    resolvePerson(db, filters.subject),
  ]);
  const after = options.cursor ? CURSOR_PATTERN.exec(options.cursor) : null;
  const actors = alias(users, "actors");
  const subjects = alias(users, "subjects");
  return db
    .select({
      id: auditLog.id,
      at: auditLog.at,
      action: auditLog.action,
      outcome: auditLog.outcome,
      ip: auditLog.ip,
      userAgent: auditLog.userAgent,
      details: auditLog.details,
      actorId: auditLog.actorId,
      actorName: actors.displayName,
      actorEmail: actors.email,
      subjectId: auditLog.subjectId,
      subjectName: subjects.displayName,
      subjectEmail: subjects.email,
      cursorMicros: atMicros,
    })
    .from(auditLog)
    .leftJoin(actors, eq(actors.id, auditLog.actorId))
    .leftJoin(subjects, eq(subjects.id, auditLog.subjectId))
    .where(
      and(
        actorId ? eq(auditLog.actorId, actorId) : undefined,
        subjectId ? eq(auditLog.subjectId, subjectId) : undefined,
        filters.action ? eq(auditLog.action, filters.action) : undefined,
        filters.from ? gte(auditLog.at, filters.from) : undefined,
        filters.to ? lt(auditLog.at, filters.to) : undefined,
        after
          ? sql`(${auditLog.at}, ${auditLog.id}) < ('epoch'::timestamptz + ${after[1]}::bigint * interval '1 microsecond', ${after[2]}::bigint)`
          : undefined,
      ),
    )
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .limit(options.limit);
}

type Row = Awaited<ReturnType<typeof query>>[number];

function toView(row: Row): AuditEntryView {
  return {
    id: row.id,
    at: row.at,
    action: row.action,
    sentence: isAuditAction(row.action) ? AUDIT_SENTENCES[row.action] : row.action,
    outcome: row.outcome,
    actor: row.actorId
      ? { id: row.actorId, displayName: row.actorName, email: row.actorEmail }
      : null,
    subject: row.subjectId
      ? { id: row.subjectId, displayName: row.subjectName, email: row.subjectEmail }
      : null,
    ip: row.ip,
    userAgent: row.userAgent,
    details: row.details,
  };
}

/** One page of the log, newest first, by keyset on (at, id); an unreadable cursor is the first page. */
export async function listAuditEntries(
  db: Executor,
  filters: AuditFilters,
  options: { cursor?: string; limit?: number } = {},
): Promise<{ items: AuditEntryView[]; nextCursor: string | null }> {
  const limit = Math.max(1, Math.min(options.limit ?? AUDIT_PAGE_SIZE, 200));
  const rows = await query(db, filters, { cursor: options.cursor, limit: limit + 1 });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(toView),
    nextCursor: rows.length > limit && last ? `${last.cursorMicros}-${last.id}` : null,
  };
}

/**
 * A cell made safe for spreadsheets (R-A14.3): text starting with = + - @ tab, carriage return
 * or NUL would be read as a formula, so it gets a leading apostrophe.
 */
export function neutraliseCell(value: string): string {
  return /^[=+\-@\t\r\0]/.test(value) ? `'${value}` : value;
}

const EXPORT_HEADER = [
  "time (UTC)",
  "action",
  "description",
  "outcome",
  "actor email",
  "actor name",
  "subject email",
  "subject name",
  "reason",
  "ticket",
  "ip",
  "user agent",
  "details",
];

/** The filtered log as CSV, newest first, every cell neutralised; at most AUDIT_EXPORT_MAX_ROWS. */
export async function exportAuditCsv(
  db: Executor,
  filters: AuditFilters,
): Promise<{ csv: string; rows: number }> {
  const rows = (await query(db, filters, { limit: AUDIT_EXPORT_MAX_ROWS })).map(toView);
  const records = rows.map((entry) => {
    const { reason, ticket, ...rest } = entry.details ?? {};
    return [
      entry.at.toISOString(),
      entry.action,
      entry.sentence,
      entry.outcome,
      entry.actor?.email ?? entry.actor?.id ?? "",
      entry.actor?.displayName ?? "",
      entry.subject?.email ?? entry.subject?.id ?? "",
      entry.subject?.displayName ?? "",
      reason === undefined || reason === null ? "" : String(reason),
      ticket === undefined || ticket === null ? "" : String(ticket),
      entry.ip ?? "",
      entry.userAgent ?? "",
      Object.keys(rest).length > 0 ? JSON.stringify(rest) : "",
    ].map(neutraliseCell);
  });
  return {
    csv: stringify([EXPORT_HEADER, ...records], { record_delimiter: "\r\n", quoted_string: true }),
    rows: records.length,
  };
}
