import { and, eq, gt, sql } from "drizzle-orm";
import { writeAudit } from "@/lib/audit/log";
import type { Executor } from "@/lib/db/client";
import { cases, signInEvents } from "@/lib/db/schema";
import type { RequestContext } from "@/lib/types/request";

// A person's report to the helpdesk: opened from Help, the setup wizard or "Secure your account".
// The helpdesk's queue that works them is lib/admin/cases.ts.

export const CASE_KINDS = ["unrecognised_activity", "no_mobile_phone", "other"] as const;
export type CaseKind = (typeof CASE_KINDS)[number];

/** Longest message a person may send; the helpdesk reads it, nothing parses it. */
export const CASE_MESSAGE_MAX_LENGTH = 2000;
/** Reports one person may open in a day (R-A13.3): enough for real trouble, not a flood. */
export const CASES_PER_USER_PER_DAY = 5;

export type NewCase = {
  userId: string;
  kind: CaseKind;
  message: string;
  contactEmail?: string | null;
  /** A sign-in event of this user that the case is about; a foreign or unknown id is dropped. */
  signInEventId?: number | null;
};

export type CreateCaseResult =
  | { ok: true; caseId: string; reference: string; existing: boolean }
  | { ok: false; reason: "rate_limited" };

/** The short reference a person can quote to the helpdesk. */
export function caseReference(caseId: string): string {
  return caseId.replace(/-/g, "").slice(0, 8).toUpperCase();
}

/**
 * Opens a helpdesk case for a person, audited in the same transaction. Sending the same
 * report again (a double submit, a reload) returns the case already open instead of a second
 * one, and a person can open at most CASES_PER_USER_PER_DAY a day (R-A13.3). The linked
 * sign-in event must be the person's own (R-A9.4).
 */
export async function createCase(
  db: Executor,
  input: NewCase,
  context: RequestContext = { ip: null, userAgent: null },
): Promise<CreateCaseResult> {
  // Alone this is a transaction; inside a caller's, a savepoint (docs/architecture.md).
  return db.transaction(async (tx) => {
    const message = input.message.trim().slice(0, CASE_MESSAGE_MAX_LENGTH);
    const signInEventId = await ownEventId(tx, input.userId, input.signInEventId);

    // Serialise one person's reports so the duplicate and daily checks hold under parallel submits.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`case:${input.userId}`}))`);
    const recent = await tx
      .select({
        id: cases.id,
        kind: cases.kind,
        message: cases.message,
        signInEventId: cases.signInEventId,
        status: cases.status,
      })
      .from(cases)
      .where(
        and(eq(cases.userId, input.userId), gt(cases.createdAt, sql`now() - interval '1 day'`)),
      );
    const same = recent.find(
      (c) =>
        c.status !== "resolved" &&
        c.kind === input.kind &&
        c.message === message &&
        c.signInEventId === signInEventId,
    );
    if (same)
      return { ok: true, caseId: same.id, reference: caseReference(same.id), existing: true };
    if (recent.length >= CASES_PER_USER_PER_DAY) return { ok: false, reason: "rate_limited" };

    const [row] = await tx
      .insert(cases)
      .values({
        userId: input.userId,
        kind: input.kind,
        message,
        contactEmail: input.contactEmail?.trim().slice(0, 320) || null,
        signInEventId,
      })
      .returning({ id: cases.id });
    await writeAudit(tx, {
      action: "case.created",
      outcome: "success",
      actorId: input.userId,
      subjectId: input.userId,
      ...context,
      details: { caseId: row!.id, kind: input.kind, signInEventId },
    });
    return { ok: true, caseId: row!.id, reference: caseReference(row!.id), existing: false };
  });
}

async function ownEventId(
  db: Executor,
  userId: string,
  eventId: number | null | undefined,
): Promise<number | null> {
  if (eventId === null || eventId === undefined) return null;
  if (!Number.isSafeInteger(eventId) || eventId <= 0) return null;
  const [row] = await db
    .select({ id: signInEvents.id })
    .from(signInEvents)
    .where(and(eq(signInEvents.id, eventId), eq(signInEvents.userId, userId)));
  return row?.id ?? null;
}
