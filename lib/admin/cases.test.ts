import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser } from "@/lib/auth/users";
import { auditLog, cases, signInEvents } from "@/lib/db/schema";
import { createTestDatabase } from "@/lib/testing/test-database";
import { caseReference, CASES_PER_USER_PER_DAY, createCase } from "./cases";

const context = { ip: "192.0.2.80", userAgent: "vitest" };
let database: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.dispose();
});

async function person(email: string) {
  const { id } = await createUser(database.db, { email, displayName: "Case Person", role: "user" });
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
