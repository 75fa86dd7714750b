import path from "node:path";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import type { Database } from "./client";

const migrationsFolder = path.join(/* turbopackIgnore: true */ process.cwd(), "drizzle");

// Any constant works; it only has to be the same for every instance of Factor.
const MIGRATION_LOCK_ID = 4_242_001;

/** Applies pending migrations. On PostgreSQL an advisory lock lets many instances start at once. */
export async function migrateDatabase(database: Database): Promise<void> {
  if (database.driver === "pglite") {
    await migratePglite(database.db, { migrationsFolder });
    return;
  }
  // The lock belongs to one connection, so hold one for the whole migration.
  const connection = await database.pool!.connect();
  try {
    await connection.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_ID]);
    await migratePg(drizzlePg(connection), { migrationsFolder });
  } finally {
    await connection.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK_ID]).catch(() => {});
    connection.release();
  }
}
