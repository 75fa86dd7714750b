import { and, asc, desc, eq, inArray, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { writeAudit } from "@/lib/audit/log";
import type { Executor } from "@/lib/db/client";
import { caseNotes, cases, signInEvents, users } from "@/lib/db/schema";
import { isUuid } from "@/lib/security/ids";
import { caseReference, type CaseKind } from "@/lib/cases/report";
import type { RequestContext } from "@/lib/types/request";

// ── the helpdesk queue ──────────────────────────────────────────────────────

export const CASE_STATUSES = ["open", "in_progress", "resolved"] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

/** Longest note an agent may add. */
export const CASE_NOTE_MAX_LENGTH = 2000;
export const CASE_PAGE_SIZE = 25;

export type CaseNoteView = { id: string; author: string | null; body: string; createdAt: Date };

/** One case as the queue shows it. Every text field is rendered as text, never HTML (R-A14.3). */
export type CaseView = {
  id: string;
  reference: string;
  kind: CaseKind;
  status: CaseStatus;
  message: string;
  contactEmail: string | null;
  createdAt: Date;
  updatedAt: Date;
  user: { id: string; displayName: string; email: string } | null;
  assignee: { id: string; displayName: string } | null;
  signInEvent: {
    id: number;
    at: Date;
    result: string;
    ip: string | null;
    countryName: string | null;
    city: string | null;
  } | null;
  notes: CaseNoteView[];
};

type Agent = RequestContext & { id: string };

/**
 * The queue, newest first, optionally one status only; keyset pages on (created_at, id) so a
 * page stays stable while new cases arrive. The cursor is the last case's id.
 */
export async function listCases(
  db: Executor,
  options: { status?: CaseStatus; before?: string; limit?: number } = {},
): Promise<{ items: CaseView[]; nextCursor: string | null }> {
  const limit = Math.max(1, Math.min(options.limit ?? CASE_PAGE_SIZE, 100));
  // Compared in the database: a JavaScript Date would round the microseconds away.
  const before = options.before && isUuid(options.before) ? options.before : undefined;
  const assignees = alias(users, "assignees");
  const rows = await db
    .select({
      id: cases.id,
      kind: cases.kind,
      status: cases.status,
      message: cases.message,
      contactEmail: cases.contactEmail,
      createdAt: cases.createdAt,
      updatedAt: cases.updatedAt,
      userId: users.id,
      userName: users.displayName,
      userEmail: users.email,
      assigneeId: assignees.id,
      assigneeName: assignees.displayName,
      eventId: signInEvents.id,
      eventAt: signInEvents.at,
      eventResult: signInEvents.result,
      eventIp: signInEvents.ip,
      eventCountry: signInEvents.countryName,
      eventCity: signInEvents.city,
    })
    .from(cases)
    .leftJoin(users, eq(users.id, cases.userId))
    .leftJoin(assignees, eq(assignees.id, cases.assigneeId))
    // Only an event of the case's own person (createCase checked it; this keeps it so).
    .leftJoin(
      signInEvents,
      and(eq(signInEvents.id, cases.signInEventId), eq(signInEvents.userId, cases.userId)),
    )
    .where(
      and(
        options.status ? eq(cases.status, options.status) : undefined,
        before
          ? sql`(${cases.createdAt}, ${cases.id}) < (select c.created_at, c.id from cases c where c.id = ${before})`
          : undefined,
      ),
    )
    .orderBy(desc(cases.createdAt), desc(cases.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const ids = page.map((r) => r.id);
  const notes =
    ids.length === 0
      ? []
      : await db
          .select({
            id: caseNotes.id,
            caseId: caseNotes.caseId,
            author: users.displayName,
            body: caseNotes.body,
            createdAt: caseNotes.createdAt,
          })
          .from(caseNotes)
          .leftJoin(users, eq(users.id, caseNotes.authorId))
          .where(inArray(caseNotes.caseId, ids))
          .orderBy(asc(caseNotes.createdAt));
  return {
    items: page.map((r) => ({
      id: r.id,
      reference: caseReference(r.id),
      kind: r.kind,
      status: r.status,
      message: r.message,
      contactEmail: r.contactEmail,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
      user: r.userId ? { id: r.userId, displayName: r.userName!, email: r.userEmail! } : null,
      assignee: r.assigneeId ? { id: r.assigneeId, displayName: r.assigneeName! } : null,
      signInEvent:
        r.eventId !== null
          ? {
              id: r.eventId,
              at: r.eventAt!,
              result: r.eventResult!,
              ip: r.eventIp,
              countryName: r.eventCountry,
              city: r.eventCity,
            }
          : null,
      notes: notes.filter((n) => n.caseId === r.id).map(({ caseId: _caseId, ...note }) => note),
    })),
    nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
  };
}

/** Locks one case for a change; null when the id names none. */
async function lockCase(tx: Executor, caseId: string) {
  if (!isUuid(caseId)) return null;
  const [row] = await tx
    .select({
      id: cases.id,
      userId: cases.userId,
      status: cases.status,
      assigneeId: cases.assigneeId,
    })
    .from(cases)
    .where(eq(cases.id, caseId))
    .for("update");
  return row ?? null;
}

/** "Assign to me": the agent takes the case; audited. False when the case does not exist. */
export async function assignCase(db: Executor, caseId: string, agent: Agent): Promise<boolean> {
  // Alone this is a transaction; inside a caller's, a savepoint (docs/architecture.md).
  return db.transaction(async (tx) => {
    const row = await lockCase(tx, caseId);
    if (!row) return false;
    if (row.assigneeId === agent.id) return true;
    await tx
      .update(cases)
      .set({
        assigneeId: agent.id,
        updatedAt: sql`now()`,
        // Taking an open case starts work on it.
        ...(row.status === "open" ? { status: "in_progress" as const } : {}),
      })
      .where(eq(cases.id, caseId));
    await writeAudit(tx, {
      action: "admin.case.assigned",
      outcome: "success",
      actorId: agent.id,
      subjectId: row.userId,
      ip: agent.ip,
      userAgent: agent.userAgent,
      details: { caseId, from: row.assigneeId, to: agent.id },
    });
    return true;
  });
}

/** Moves a case to another status; audited with the old and new one. */
export async function setCaseStatus(
  db: Executor,
  caseId: string,
  status: CaseStatus,
  agent: Agent,
): Promise<boolean> {
  // Alone this is a transaction; inside a caller's, a savepoint (docs/architecture.md).
  return db.transaction(async (tx) => {
    const row = await lockCase(tx, caseId);
    if (!row) return false;
    if (row.status === status) return true;
    await tx
      .update(cases)
      .set({
        status,
        updatedAt: sql`now()`,
        closedAt: status === "resolved" ? sql`now()` : null,
      })
      .where(eq(cases.id, caseId));
    await writeAudit(tx, {
      action: "admin.case.status_changed",
      outcome: "success",
      actorId: agent.id,
      subjectId: row.userId,
      ip: agent.ip,
      userAgent: agent.userAgent,
      details: { caseId, from: row.status, to: status },
    });
    return true;
  });
}

/** Adds an agent's note to a case; audited (the note's text stays in the case, not the log). */
export async function addCaseNote(
  db: Executor,
  caseId: string,
  body: string,
  agent: Agent,
): Promise<boolean> {
  // Alone this is a transaction; inside a caller's, a savepoint (docs/architecture.md).
  return db.transaction(async (tx) => {
    const text = body.trim().slice(0, CASE_NOTE_MAX_LENGTH);
    if (!text) return false;
    const row = await lockCase(tx, caseId);
    if (!row) return false;
    const [note] = await tx
      .insert(caseNotes)
      .values({ caseId, authorId: agent.id, body: text })
      .returning({ id: caseNotes.id });
    await tx
      .update(cases)
      .set({ updatedAt: sql`now()` })
      .where(eq(cases.id, caseId));
    await writeAudit(tx, {
      action: "admin.case.note_added",
      outcome: "success",
      actorId: agent.id,
      subjectId: row.userId,
      ip: agent.ip,
      userAgent: agent.userAgent,
      details: { caseId, noteId: note!.id },
    });
    return true;
  });
}
