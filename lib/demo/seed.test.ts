import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { users } from "@/lib/db/schema";
import { createTestDatabase } from "@/lib/testing/test-database";
import { prepareDemo } from "./seed";

let database: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.dispose();
});

it("never seeds an empty PostgreSQL database unless asked", async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "factor-seed-"));
  const demos = await prepareDemo(database.db, { dataDir, embedded: false, seed: "auto" });
  expect(demos).toEqual([]);
  expect(await database.db.select({ id: users.id }).from(users)).toEqual([]);
});

it("seeds on PostgreSQL even when the data folder does not exist yet, and prints only once", async () => {
  // With DATABASE_URL nothing else creates the data folder, yet the demo sign-ins are kept there.
  const dataDir = path.join(mkdtempSync(path.join(tmpdir(), "factor-seed-")), "not-yet");
  const first = await prepareDemo(database.db, { dataDir, embedded: false, seed: "true" });

  expect(first.map((d) => d.role).sort()).toEqual(["admin", "helpdesk", "user", "user"]);
  const file = statSync(path.join(dataDir, "demo-sign-ins.json"));
  expect(file.mode & 0o777).toBe(0o600);
  expect(statSync(dataDir).mode & 0o777).toBe(0o700);

  const again = await prepareDemo(database.db, { dataDir, embedded: false, seed: "true" });
  expect(again).toEqual(first);
});
