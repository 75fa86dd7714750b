import { randomBytes } from "node:crypto";
import pg from "pg";
import { openDatabase, installDatabase, type Database } from "@/lib/db/client";
import { migrateDatabase } from "@/lib/db/migrate";

/**
 * A fresh, migrated database for one test file, installed as the process-wide one: PGlite in
 * memory, or — when DATABASE_URL is set — a new database on that PostgreSQL server, dropped after.
 */
export async function createTestDatabase(): Promise<Database & { dispose: () => Promise<void> }> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const database = await openDatabase({ driver: "pglite", memory: true });
    await migrateDatabase(database);
    installDatabase(database);
    return { ...database, dispose: database.close };
  }
  const name = `factor_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ driver: "postgres", url: url.toString(), poolSize: 25 });
  await migrateDatabase(database);
  installDatabase(database);
  return {
    ...database,
    dispose: async () => {
      await database.close();
      const cleanup = new pg.Client({ connectionString: serverUrl });
      await cleanup.connect();
      await cleanup.query(`drop database if exists ${name} with (force)`);
      await cleanup.end();
    },
  };
}
