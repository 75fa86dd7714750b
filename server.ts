import { createServer, type Server } from "node:http";
import next from "next";
import { maintainSignInEventPartitions } from "@/lib/activity/sign-in-event-partitions";
import { purgeSignInTransactions } from "@/lib/auth/sign-in-transaction";
import { purgePasswordResets } from "@/lib/auth/password-reset";
import { getDatabase, type Db } from "@/lib/db/client";
import { purgeAbandonedEnrolments } from "@/lib/mfa/methods";
import { purgeExpiredPhoneChallenges } from "@/lib/mfa/phone-challenges";
import { purgeExpiredEmailCodes } from "@/lib/mfa/alternate-email";
import { purgeFormerNumbers } from "@/lib/mfa/former-phone-numbers";
import { purgePasskeyChallenges } from "@/lib/mfa/passkeys";
import { purgeCompanionRows } from "@/lib/mfa/companion-push";
import { purgeCallerVerifications } from "@/lib/admin/caller-verification";
import { migrateDatabase } from "@/lib/db/migrate";
import { getDirectoryConfig } from "@/lib/directory/config";
import { runDirectorySync } from "@/lib/directory/sync";
import { formatDemoSignIns, prepareDemo } from "@/lib/demo/seed";
import { ConfigError, getEnv, getSecrets } from "@/lib/env";
import { DataFolderInUseError } from "@/lib/db/data-folder-lock";
import { startDispatcher, stopDispatcher } from "@/lib/notify/dispatcher";
import { purgeOldMessages } from "@/lib/notify/outbox";
import { outboxChannels } from "@/lib/notify/providers";
import {
  CLIENT_IP_HEADER,
  compileTrustedProxies,
  deriveClientIp,
  REQUEST_PATH_HEADER,
} from "@/lib/security/client-ip";
import { BACKGROUND_REQUEST_HEADER, NEXT_PREFETCH_HEADER } from "@/lib/security/background-request";
import { applySecurityHeaders, isCrossSiteWrite } from "@/lib/security/headers";
import { purgeExpiredOidcRecords } from "@/lib/oidc/adapter";
import { startOidc } from "@/lib/oidc/http";
import { purgeRetiredSigningKeys } from "@/lib/oidc/signing-keys";
import { startRadiusServer, type RadiusServer } from "@/lib/radius/server";

// Factor's HTTP front: Next's request handler behind a plain node:http server, because only
// here is the socket's peer address known (STACK.md #14). Every request gets its client address
// derived here, forwarding headers from untrusted peers dropped, the CSRF origin rule and the
// security headers.

// The SMS/voice gateway's keypad callbacks come from its servers, not from our pages, so they
// carry no Origin: the route handler checks the gateway's signature instead.
const SIGNED_CALLBACK_PATH = /^\/api\/phone\/calls\/[^/?]+\/gather(\?|$)/;
// The services API is called by scripts and PAM modules, which send no Origin either: a call
// carries the service's key in its Authorization header, which no other site's page has.
const SERVICE_KEY_PATH = /^\/api\/v1\/verify(\?|$)/;

const FORWARDING_HEADERS = [
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-proto",
  "x-forwarded-port",
  "forwarded",
  "x-real-ip",
];

/**
 * Deletes sign-ins, password resets and helpdesk caller checks that ended a day ago, enrolments
 * never confirmed, former phone numbers past their year, old sign-in events and the OpenID Connect
 * provider's expired records and keys, and creates the sign-in events' partitions for the months
 * ahead.
 */
async function removeExpiredRows(db: Db): Promise<void> {
  await purgeSignInTransactions(db);
  await purgePasswordResets(db);
  await purgeAbandonedEnrolments(db);
  await purgeExpiredPhoneChallenges(db);
  await purgeExpiredEmailCodes(db);
  await purgeFormerNumbers(db);
  await purgePasskeyChallenges(db);
  await purgeCompanionRows(db);
  await purgeCallerVerifications(db);
  await purgeOldMessages(db);
  await purgeExpiredOidcRecords(db);
  await purgeRetiredSigningKeys(db);
  await maintainSignInEventPartitions(db);
}

/** Opens and migrates the database, prepares Next and serves. Resolves once listening. */
export async function startServer(options: { dev?: boolean } = {}): Promise<Server> {
  const dev = options.dev ?? false;
  const env = getEnv();
  const database = await getDatabase();
  await migrateDatabase(database);
  await removeExpiredRows(database.db);
  // Hourly; unref'd so it never keeps the process alive.
  setInterval(() => void removeExpiredRows(database.db).catch(console.error), 3600_000).unref();
  const demoSignIns = await prepareDemo(database.db, {
    dataDir: env.dataDir,
    embedded: env.embedded,
    seed: env.SEED_DEMO,
  });

  // Delivers the outbox from this process (every instance may: they never send twice).
  startDispatcher();

  // The directory's people, every LDAP_SYNC_INTERVAL_MINUTES; an instance that finds a sync run
  // by another within the interval skips its turn. A directory that does not answer is retried
  // at the next turn, and disables no one.
  const directory = getDirectoryConfig();
  if (directory && env.LDAP_SYNC_INTERVAL_MINUTES > 0) {
    const intervalMs = env.LDAP_SYNC_INTERVAL_MINUTES * 60_000;
    const syncDirectory = () =>
      void runDirectorySync(database.db, directory, { unlessRanWithinMs: intervalMs - 30_000 })
        .then((run) => run?.message && console.warn(`Directory sync: ${run.message}`))
        .catch(console.error);
    setInterval(syncDirectory, intervalMs).unref();
    setTimeout(syncDirectory, 10_000).unref();
  }

  // The organisation's apps sign in here (OpenID Connect); its issuer is the public URL.
  const oidc = await startOidc(database.db, {
    issuer: env.PUBLIC_URL,
    authSecret: getSecrets().authSecret,
  });

  const app = next({ dev, dir: process.cwd(), hostname: "localhost", port: env.PORT });
  await app.prepare();
  const handle = app.getRequestHandler();
  const trust = compileTrustedProxies(env.TRUSTED_PROXIES);
  const https = env.PUBLIC_URL.startsWith("https:");

  const server = createServer((req, res) => {
    const peer = req.socket.remoteAddress ?? "";
    const clientIp = deriveClientIp(req, trust);
    if (!trust(peer, 0)) for (const name of FORWARDING_HEADERS) delete req.headers[name];
    delete req.headers[CLIENT_IP_HEADER];
    if (clientIp) req.headers[CLIENT_IP_HEADER] = clientIp;
    // Lets a signed-out page visit come back to where it started, whichever layer redirects.
    req.headers[REQUEST_PATH_HEADER] = req.url ?? "/";
    // A link prefetched because it came into view is not the person's doing (R-A12.5).
    if (req.headers[NEXT_PREFETCH_HEADER] !== undefined) {
      req.headers[BACKGROUND_REQUEST_HEADER] = "1";
    }

    applySecurityHeaders(req, res, { dev, https });
    // The provider's endpoints are called by apps, not our pages: it checks its own requests.
    if (oidc.handle(req, res)) return;
    const url = req.url ?? "";
    const ownCheck = SIGNED_CALLBACK_PATH.test(url) || SERVICE_KEY_PATH.test(url);
    if (!ownCheck && isCrossSiteWrite(req, trust(peer, 0))) {
      res.statusCode = 403;
      res.setHeader("Content-Type", "text/plain; charset=utf-8");
      res.end("Cross-site request refused.");
      return;
    }
    void handle(req, res);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(env.PORT, env.BIND_ADDRESS, () => resolve());
  });

  // VPNs, Wi-Fi and network equipment ask here (RADIUS over UDP), when a port is set.
  let radius: RadiusServer | null = null;
  if (env.RADIUS_PORT !== undefined) {
    radius = await startRadiusServer(database.db, {
      port: env.RADIUS_PORT,
      host: env.BIND_ADDRESS,
      waitSeconds: env.RADIUS_PUSH_TIMEOUT_SECONDS,
    }).catch((error: NodeJS.ErrnoException) => {
      server.close();
      if (error?.code === "EADDRINUSE") error.message = `RADIUS port ${env.RADIUS_PORT} is in use`;
      throw error;
    });
  }

  const kept = outboxChannels();
  if (kept.length > 0) {
    console.log(
      `No provider is configured for ${kept.join(", ")}: those messages are kept at ${env.PUBLIC_URL}/dev/outbox.`,
    );
  }
  console.log(`Factor is ready at http://localhost:${env.PORT}`);
  console.log(`OpenID Connect issuer for apps: ${env.PUBLIC_URL}`);
  if (radius) console.log(`RADIUS is listening on udp port ${radius.port}`);
  if (demoSignIns.length > 0) {
    console.log(`Demo sign-ins for ${env.ORG_NAME} (role, email, password):`);
    console.log(formatDemoSignIns(demoSignIns));
  }

  const shutdown = () => {
    server.close();
    void radius?.close();
    void stopDispatcher()
      .then(() => database.close())
      .finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
  return server;
}

/** Prints a start-up failure an operator can act on, without a stack trace for known causes. */
export function reportStartFailure(error: unknown): never {
  if (error instanceof ConfigError || error instanceof DataFolderInUseError) {
    console.error(error.message);
  } else if ((error as NodeJS.ErrnoException)?.code === "EADDRINUSE") {
    const radius = (error as Error).message.startsWith("RADIUS port");
    console.error(
      radius
        ? `UDP port ${getEnv().RADIUS_PORT} is already in use. Set RADIUS_PORT to a free port.`
        : `Port ${getEnv().PORT} is already in use. Set PORT to a free port.`,
    );
  } else {
    console.error("Factor could not start:", error);
  }
  process.exit(1);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  startServer({ dev: process.argv.includes("--dev") }).catch(reportStartFailure);
}
