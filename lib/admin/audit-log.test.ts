import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeAudit } from "@/lib/audit/log";
import { auditLog } from "@/lib/db/schema";
import { createTestDatabase } from "@/lib/testing/test-database";
import { exportAuditCsv, listAuditEntries, neutraliseCell } from "./audit-log";
import { createTestUser } from "@/lib/testing/users";

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let agent: { id: string };
let subject: { id: string };

beforeAll(async () => {
  database = await createTestDatabase();
  agent = await createTestUser(database.db, {
    email: "audit-agent@example.edu",
    displayName: "Audit Agent",
    role: "helpdesk",
  });
  subject = await createTestUser(database.db, {
    email: "formula@example.edu",
    displayName: '=HYPERLINK("http://evil.example","Click")',
    role: "user",
  });
  for (let i = 0; i < 5; i++) {
    await writeAudit(database.db, {
      action: "admin.sessions.revoked",
      outcome: "success",
      actorId: agent.id,
      subjectId: subject.id,
      ip: "192.0.2.1",
      userAgent: "+cmd|' /C calc'!A0",
      details: { reason: `-2+3 call ${i}`, ticket: "@SUM(A1)" },
    });
  }
});
afterAll(async () => {
  await database.dispose();
});

describe("neutraliseCell (R-A14.3)", () => {
  it("prefixes cells a spreadsheet would read as a formula, and nothing else", () => {
    for (const danger of ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "\0x"])
      expect(neutraliseCell(danger)).toBe(`'${danger}`);
    for (const safe of ["Alex Morgan", "1+1", "a=b", ""]) expect(neutraliseCell(safe)).toBe(safe);
  });
});

describe("the audit log", () => {
  it("filters by actor, subject (email or id), action and time, and pages by keyset", async () => {
    const byEmail = await listAuditEntries(database.db, {
      actor: "AUDIT-AGENT@example.edu",
      action: "admin.sessions.revoked",
    });
    expect(byEmail.items).toHaveLength(5);
    expect(byEmail.items[0]!.subject?.displayName).toMatch(/^=HYPERLINK/);
    expect(byEmail.items[0]!.sentence).toBe("Signed out of every session by the helpdesk");
    const byId = await listAuditEntries(database.db, { subject: subject.id });
    expect(byId.items.length).toBeGreaterThanOrEqual(5);
    expect((await listAuditEntries(database.db, { actor: "nobody@example.edu" })).items).toEqual(
      [],
    );
    expect(
      (await listAuditEntries(database.db, { from: new Date(Date.now() + 60_000) })).items,
    ).toEqual([]);

    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await listAuditEntries(
        database.db,
        { action: "admin.sessions.revoked" },
        { cursor, limit: 2 },
      );
      seen.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
  });

  it("exports CSV with every dangerous cell neutralised, and changes no row", async () => {
    const before = await database.db.select().from(auditLog);
    const { csv, rows } = await exportAuditCsv(database.db, { action: "admin.sessions.revoked" });
    expect(rows).toBe(5);
    const records = parse(csv) as string[][];
    expect(records[0]).toContain("subject name");
    const row = records[1]!;
    expect(row).toContain(`'=HYPERLINK("http://evil.example","Click")`);
    expect(row).toContain("'+cmd|' /C calc'!A0");
    expect(row).toContain("'@SUM(A1)");
    expect(row.some((cell) => cell.startsWith("'-2+3 call"))).toBe(true);
    expect(row.every((cell) => !/^[=+\-@\t\r\0]/.test(cell))).toBe(true);
    expect(await database.db.select().from(auditLog)).toEqual(before);
  });
});
