// Tests and scripts create and drop databases of their own beside the one DATABASE_URL names.
// They may do so only on this machine: a DATABASE_URL that points at a shared or production
// server must never lose a database to a test run or a benchmark.

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
