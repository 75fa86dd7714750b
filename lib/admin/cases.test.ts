import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, cases, signInEvents } from "@/lib/db/schema";
import { createTestDatabase } from "@/lib/testing/test-database";
import { caseReference, CASES_PER_USER_PER_DAY, createCase } from "@/lib/cases/report";
import { addCaseNote, assignCase, listCases, setCaseStatus } from "./cases";
import { createTestUser } from "@/lib/testing/users";

const context = { ip: "192.0.2.80", userAgent: "vitest" };
let database: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.dispose();
});

async function person(email: string) {
  const { id } = await createTestUser(database.db, {
    email,
    displayName: "Case Person",
    role: "user",
  });
  return id;
}

async function eventOf(userId: string) {
  const [row] = await database.db
    .insert(signInEvents)
    .values({ userId, result: "success", reason: "signed_in", ip: "203.0.113.5" })
    .returning({ id: signInEvents.id });
  return row!.id;
}

const open = (input: Parameters<typeof createCase>[1]) =>
  database.db.transaction((tx) => createCase(tx, input, context));

describe("helpdesk cases", () => {
  it("opens a case linked to the person's own sign-in event, audited", async () => {
    const userId = await person("case.own@example.edu");
    const eventId = await eventOf(userId);
    const result = await open({
      userId,
      kind: "unrecognised_activity",
      message: "  A sign-in from a country I have never been to.  ",
      signInEventId: eventId,
    });
    expect(result).toMatchObject({ ok: true, existing: false });
    if (!result.ok) return;
    expect(result.reference).toBe(caseReference(result.caseId));
    expect(result.reference).toMatch(/^[0-9A-F]{8}$/);
    const [row] = await database.db.select().from(cases).where(eq(cases.id, result.caseId));
    expect(row).toMatchObject({
      userId,
      kind: "unrecognised_activity",
      status: "open",
      message: "A sign-in from a country I have never been to.",
      signInEventId: eventId,
    });
    const audits = await database.db
      .select({ action: auditLog.action, details: auditLog.details })
      .from(auditLog)
      .where(eq(auditLog.subjectId, userId));
    expect(audits).toContainEqual({
      action: "case.created",
      details: { caseId: result.caseId, kind: "unrecognised_activity", signInEventId: eventId },
    });
  });

  it("does not link someone else's sign-in event (R-A9.4)", async () => {
    const owner = await person("case.owner@example.edu");
    const other = await person("case.other@example.edu");
    const foreign = await eventOf(owner);
    const result = await open({
      userId: other,
      kind: "unrecognised_activity",
      message: "Not mine",
      signInEventId: foreign,
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const [row] = await database.db.select().from(cases).where(eq(cases.id, result.caseId));
    expect(row!.signInEventId).toBeNull();
  });

  it("answers a repeated report with the case already open, even in parallel (R-A13.3)", async () => {
    const userId = await person("case.twice@example.edu");
    const input = { userId, kind: "no_mobile_phone" as const, message: "I have no mobile phone." };
    const [first, second] = await Promise.all([open(input), open(input)]);
    const third = await open(input);
    expect(first.ok && second.ok && third.ok).toBe(true);
    if (!first.ok || !second.ok || !third.ok) return;
    expect(new Set([first.caseId, second.caseId, third.caseId]).size).toBe(1);
    expect([first.existing, second.existing].sort()).toEqual([false, true]);
    expect(await database.db.select().from(cases).where(eq(cases.userId, userId))).toHaveLength(1);
  });

  it("limits how many cases a person opens in a day (R-A13.3)", async () => {
    const userId = await person("case.flood@example.edu");
    for (let i = 0; i < CASES_PER_USER_PER_DAY; i++) {
      expect((await open({ userId, kind: "other", message: `Report ${i}` })).ok).toBe(true);
    }
    expect(await open({ userId, kind: "other", message: "One too many" })).toEqual({
      ok: false,
      reason: "rate_limited",
    });
    expect(await database.db.select().from(cases).where(eq(cases.userId, userId))).toHaveLength(
      CASES_PER_USER_PER_DAY,
    );
  });
});

describe("the helpdesk queue", () => {
  it("lists cases newest first with their person, linked sign-in and notes, by status and page", async () => {
    const agentId = await person("queue.agent@example.edu");
    const agent = { id: agentId, ip: "192.0.2.81", userAgent: "vitest" };
    const userId = await person("queue.person@example.edu");
    const eventId = await eventOf(userId);
    const first = await open({
      userId,
      kind: "no_mobile_phone",
      message: "<script>alert(1)</script> I have no phone",
    });
    const second = await open({
      userId,
      kind: "unrecognised_activity",
      message: "Not me",
      signInEventId: eventId,
    });
    if (!first.ok || !second.ok) throw new Error("cases not opened");

    const { items } = await listCases(database.db, { limit: 100 });
    const mine = items.filter((c) => c.user?.id === userId);
    expect(mine.map((c) => c.id)).toEqual([second.caseId, first.caseId]);
    // Stored and returned as typed: the page renders it as text.
    expect(mine[1]!.message).toBe("<script>alert(1)</script> I have no phone");
    expect(mine[0]!.signInEvent).toMatchObject({ id: eventId, ip: "203.0.113.5" });

    const page1 = await listCases(database.db, { limit: 1 });
    const page2 = await listCases(database.db, { limit: 1, before: page1.nextCursor! });
    expect(page2.items[0]!.id).not.toBe(page1.items[0]!.id);

    expect(await database.db.transaction((tx) => assignCase(tx, first.caseId, agent))).toBe(true);
    expect(
      await database.db.transaction((tx) => addCaseNote(tx, first.caseId, "Called back", agent)),
    ).toBe(true);
    expect(
      await database.db.transaction((tx) => setCaseStatus(tx, first.caseId, "resolved", agent)),
    ).toBe(true);
    expect(
      await database.db.transaction((tx) =>
        setCaseStatus(tx, "00000000-0000-4000-8000-000000000000", "resolved", agent),
      ),
    ).toBe(false);

    const resolved = await listCases(database.db, { status: "resolved" });
    const done = resolved.items.find((c) => c.id === first.caseId)!;
    expect(done.assignee?.id).toBe(agentId);
    expect(done.notes.map((n) => n.body)).toEqual(["Called back"]);
    expect((await listCases(database.db, { status: "open" })).items.map((c) => c.id)).toContain(
      second.caseId,
    );

    const audits = await database.db.select().from(auditLog).where(eq(auditLog.actorId, agentId));
    expect(audits.map((a) => [a.action, a.subjectId])).toEqual([
      ["admin.case.assigned", userId],
      ["admin.case.note_added", userId],
      ["admin.case.status_changed", userId],
    ]);
    expect(audits[2]!.details).toMatchObject({ from: "in_progress", to: "resolved" });
  });
});
