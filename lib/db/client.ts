import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { drizzle as drizzlePglite, type PgliteDatabase } from "drizzle-orm/pglite";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import pg from "pg";
import { getEnv } from "@/lib/env";
import { acquireDataFolderLock } from "./data-folder-lock";
import * as schema from "./schema";

// Kept free of `server-only`: the start-up server and the operator scripts import it too.

/** The drizzle client. Both drivers share the query builder; PGlite's type stands for both. */
export type Db = PgliteDatabase<typeof schema>;
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
/** Anything that can run a query: the client or an open transaction. */
export type Executor = Db | Tx;

export type Database = {
  db: Db;
  driver: "pglite" | "postgres";
  /** node-postgres pool, when on PostgreSQL. */
  pool?: pg.Pool;
  close: () => Promise<void>;
};

export type DatabaseTarget =
  | { driver: "postgres"; url: string; poolSize?: number }
  | { driver: "pglite"; dataDir: string }
  | { driver: "pglite"; memory: true };

/** Extensions the migrations create; PGlite must load them itself (PostgreSQL ships them). */
const PGLITE_EXTENSIONS = { pg_trgm };

/** Opens a database. Embedded folders are locked to this process. */
export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  if (target.driver === "postgres") {
    const pool = new pg.Pool({ connectionString: target.url, max: target.poolSize ?? 10 });
    // An idle connection the server drops (a restart, a failover, a dropped test database) is
    // reported here; without a listener node-postgres would end the process. The pool replaces
    // the connection on the next query, which fails on its own if the server is really gone.
    pool.on("error", (error) =>
      console.error(`PostgreSQL dropped an idle connection: ${error.message}`),
    );
    const db = drizzlePg(pool, { schema }) as unknown as Db;
    return { db, driver: "postgres", pool, close: () => pool.end() };
  }
  if ("memory" in target) {
    const client = await PGlite.create({ extensions: PGLITE_EXTENSIONS });
    return { db: drizzlePglite(client, { schema }), driver: "pglite", close: () => client.close() };
  }
  acquireDataFolderLock(target.dataDir);
  const client = await PGlite.create(path.join(target.dataDir, "pglite"), {
    extensions: PGLITE_EXTENSIONS,
  });
  return { db: drizzlePglite(client, { schema }), driver: "pglite", close: () => client.close() };
}

/** Where the configured database lives. */
export function configuredTarget(): DatabaseTarget {
  const env = getEnv();
  return env.DATABASE_URL
    ? { driver: "postgres", url: env.DATABASE_URL, poolSize: env.DATABASE_POOL_SIZE }
    : { driver: "pglite", dataDir: env.dataDir };
}

// One database per process, shared by the start-up server and Next's bundles through globalThis
// (each bundle has its own module instances, the process has one PGlite).
const holder = globalThis as unknown as { __factorDatabase?: Promise<Database> };

/** The process-wide database, opened on first use. */
export function getDatabase(): Promise<Database> {
  if (process.env.NEXT_PHASE === "phase-production-build") {
    // A page that reads data before anything request-bound would be prerendered with build-time
    // data and would create a database in the build folder: fail the build instead.
    throw new Error("The database is not available while building: read cookies or headers first.");
  }
  holder.__factorDatabase ??= openDatabase(configuredTarget());
  return holder.__factorDatabase;
}

/** Installs an already-open database as the process-wide one (tests, scripts). */
export function installDatabase(database: Database): void {
  holder.__factorDatabase = Promise.resolve(database);
}

/** The process-wide drizzle client. */
export async function getDb(): Promise<Db> {
  return (await getDatabase()).db;
}
