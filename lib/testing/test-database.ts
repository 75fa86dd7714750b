import { randomBytes } from "node:crypto";
import pg from "pg";
import { openDatabase, installDatabase, type Database } from "@/lib/db/client";
import { refuseUnlessOnThisMachine } from "@/lib/db/local-database";
import { migrateDatabase } from "@/lib/db/migrate";

export type TestDatabase = Database & {
  dispose: () => Promise<void>;
  /** Its URL, on PostgreSQL. */
  url?: string;
};

/**
 * An empty database of a test's own, not migrated: PGlite in memory, or — when DATABASE_URL is
 * set — a new database on that PostgreSQL server, which must be on this machine, dropped by
 * `dispose`.
 */
export async function createBlankDatabase(
  options: { poolSize?: number } = {},
): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const database = await openDatabase({ driver: "pglite", memory: true });
    return { ...database, dispose: database.close };
  }
  const name = `factor_test_${randomBytes(6).toString("hex")}`;
  refuseUnlessOnThisMachine(serverUrl, `create and drop the test database ${name}`);
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({
    driver: "postgres",
    url: url.toString(),
    poolSize: options.poolSize,
  });
  return {
    ...database,
    url: url.toString(),
    dispose: async () => {
      await database.close();
      const cleanup = new pg.Client({ connectionString: serverUrl });
      await cleanup.connect();
      await cleanup.query(`drop database if exists ${name} with (force)`);
      await cleanup.end();
    },
  };
}

/**
 * A fresh, migrated database for one test file, installed as the process-wide one (see
 * `createBlankDatabase` for where it lives).
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const database = await createBlankDatabase({ poolSize: 25 });
  await migrateDatabase(database);
  installDatabase(database);
  return database;
}
