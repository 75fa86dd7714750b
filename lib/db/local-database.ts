// Tests and scripts create and drop databases of their own beside the one DATABASE_URL names.
// They may do so only on this machine: a DATABASE_URL that points at a shared or production
// server must never lose a database to a test run or a benchmark.

import pg from "pg";

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "::1"]);

/** The URL and whether it named no host; `postgres://me@/db` is read with a stand-in host. */
function parseUrl(url: string): { parsed: URL; hostless: boolean } | null {
  try {
    return { parsed: new URL(url), hostless: false };
  } catch {
    try {
      return { parsed: new URL(url.replace("@/", "@stand-in/")), hostless: true };
    } catch {
      return null;
    }
  }
}

/**
 * The host a PostgreSQL URL connects to, read as node-postgres reads it: a `host` parameter wins,
 * a bracketed IPv6 address loses its brackets, an encoded socket folder is decoded, and no host
 * at all means PGHOST or localhost. Null when the URL cannot be read.
 */
export function databaseHost(url: string): string | null {
  const read = parseUrl(url);
  if (!read || !["postgres:", "postgresql:"].includes(read.parsed.protocol)) return null;
  const hostname = read.hostless ? "" : read.parsed.hostname.replace(/^\[(.+)\]$/, "$1");
  let named: string;
  try {
    named = read.parsed.searchParams.get("host") || decodeURIComponent(hostname);
  } catch {
    return null;
  }
  return named || process.env.PGHOST || "localhost";
}

/** Whether a PostgreSQL URL reaches a server on this machine: loopback or a Unix socket. */
export function isOnThisMachine(url: string): boolean {
  const host = databaseHost(url);
  if (host === null) return false;
  return host.startsWith("/") || LOOPBACK_HOSTS.has(host.toLowerCase());
}

/** Throws unless `url` reaches a server on this machine; `action` says what was refused. */
export function refuseUnlessOnThisMachine(url: string, action: string): void {
  if (isOnThisMachine(url)) return;
  const host = databaseHost(url) ?? "a server that cannot be read from the URL";
  throw new Error(
    `Refusing to ${action} on ${host}: tests and scripts create and drop databases only on ` +
      "this machine (localhost, 127.0.0.1, ::1 or a Unix socket). Point DATABASE_URL at a " +
      "PostgreSQL server here.",
  );
}

/** Runs statements on the server `serverUrl` names, which must be on this machine. */
async function onLocalServer(
  serverUrl: string,
  action: string,
  work: (client: pg.Client) => Promise<void>,
): Promise<void> {
  refuseUnlessOnThisMachine(serverUrl, action);
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

/** The URL of database `name` on the server `serverUrl` names. */
function urlOf(serverUrl: string, name: string): string {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`not a plain database name: ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Creates database `name` beside the one `serverUrl` names, dropping any left over; its URL. */
export async function createLocalDatabase(serverUrl: string, name: string): Promise<string> {
  const url = urlOf(serverUrl, name);
  await dropLocalDatabase(serverUrl, name);
  await onLocalServer(serverUrl, `create the database ${name}`, async (client) => {
    await client.query(`create database ${name}`);
  });
  return url;
}

/** Drops database `name` beside the one `serverUrl` names, ending connections still open to it. */
export async function dropLocalDatabase(serverUrl: string, name: string): Promise<void> {
  urlOf(serverUrl, name);
  await onLocalServer(serverUrl, `drop the database ${name}`, async (client) => {
    try {
      await client.query(`drop database if exists ${name} with (force)`);
    } catch (error) {
      // FORCE may end only our own role's connections (without pg_signal_backend), and
      // autovacuum, often busy on a database just filled, runs as no role. A plain drop ends
      // autovacuum itself; any other connection left open still fails it, as it should.
      if ((error as { code?: string }).code !== "42501") throw error;
      await client.query(`drop database if exists ${name}`);
    }
  });
}
