import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { auditLog } from "@/lib/db/schema";
import { createTestDatabase } from "@/lib/testing/test-database";
import { AUDIT_ACTIONS, AUDIT_SENTENCES } from "./events";
import { writeAudit } from "./log";

let database: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.dispose();
});

it("records who, on whom, what, when, where and the outcome", async () => {
  await writeAudit(database.db, {
    action: "auth.sign_out",
    outcome: "success",
    actorId: "00000000-0000-4000-8000-000000000001",
    subjectId: "00000000-0000-4000-8000-000000000001",
    ip: "192.0.2.10",
    userAgent: "x".repeat(2000),
  });
  const [row] = await database.db
    .select()
    .from(auditLog)
    .where(eq(auditLog.action, "auth.sign_out"));
  expect(row).toMatchObject({ outcome: "success", ip: "192.0.2.10" });
  expect(row!.userAgent).toHaveLength(512);
  expect(Date.now() - row!.at.getTime()).toBeLessThan(60_000);
});

/** drizzle wraps the database error; the trigger's message is its cause. */
async function expectRefused(query: PromiseLike<unknown>) {
  const error = await Promise.resolve(query).then(
    () => null,
    (caught: Error & { cause?: Error }) => caught,
  );
  expect(error?.cause?.message ?? error?.message).toMatch(/audit_log is append-only/);
}

it("refuses UPDATE, DELETE and TRUNCATE in the database itself (R-A16.3)", async () => {
  await writeAudit(database.db, { action: "user.created", outcome: "success" });
  await expectRefused(database.db.update(auditLog).set({ outcome: "failure" }));
  await expectRefused(database.db.delete(auditLog));
  await expectRefused(database.db.execute(sql`truncate audit_log`));
  const rows = await database.db.select().from(auditLog);
  expect(rows.length).toBe(2);
  expect(rows.every((r) => r.outcome === "success")).toBe(true);
});

it("has a sentence for every action", () => {
  for (const action of AUDIT_ACTIONS) expect(AUDIT_SENTENCES[action].length).toBeGreaterThan(3);
});
