import { createLocalDatabase, dropLocalDatabase } from "../../lib/db/local-database";

/**
 * A PostgreSQL database of a test file's own, next to the one DATABASE_URL names, for a file that
 * changes organisation-wide settings other files must not see; that server must be on this
 * machine. Null on the embedded database, where a fresh data folder is already the file's own.
 */
export async function createOwnDatabase(
  name: string,
): Promise<{ url: string; drop: () => Promise<void> } | null> {
  const shared = process.env.DATABASE_URL;
  if (!shared) return null;
  const url = await createLocalDatabase(shared, name);
  return { url, drop: () => dropLocalDatabase(shared, name) };
}
