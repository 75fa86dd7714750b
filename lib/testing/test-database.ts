import { randomBytes } from "node:crypto";
import { openDatabase, installDatabase, type Database } from "@/lib/db/client";
import { createLocalDatabase, dropLocalDatabase } from "@/lib/db/local-database";
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
  const url = await createLocalDatabase(serverUrl, name);
  const database = await openDatabase({ driver: "postgres", url, poolSize: options.poolSize });
  return {
    ...database,
    url,
    dispose: async () => {
      await database.close();
      await dropLocalDatabase(serverUrl, name);
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
