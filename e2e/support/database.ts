import pg from "pg";
import { refuseUnlessOnThisMachine } from "../../lib/db/local-database";

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
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`not a plain database name: ${name}`);
  refuseUnlessOnThisMachine(shared, `drop and create the test database ${name}`);
  const url = new URL(shared);
  url.pathname = `/${name}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: shared });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`DROP DATABASE IF EXISTS ${name}`);
  await admin(`CREATE DATABASE ${name}`);
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
