import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { machine } from "./measure";

// npm run bench:directory [-- --people N] [--duration S] [--connections N]
// What the organisation's directory costs Factor (docs/directory.md), against a throwaway
// OpenLDAP server on this machine loaded with N people (100,000 by default):
//  1. a sync of all of them into an empty database (seconds, peak memory of this process), the
//     first sync an organisation runs;
//  2. the directory password step — Factor's throttles, a search with the service account, a
//     bind as the person, the sign-in transaction — in req/s with N requests at a time.
// It runs in one process, as the server would run them, without HTTP: the web password step
// over HTTP is measured by `npm run bench`. Results go to bench-results/directory-*.json.

const { values: args } = parseArgs({
  options: {
    people: { type: "string", default: "100000" },
    duration: { type: "string", default: "15" },
    connections: { type: "string", default: "10" },
  },
});
const people = Number(args.people);
const durationMs = Number(args.duration) * 1000;
const connections = Number(args.connections);
if (!Number.isInteger(people) || people < 1) throw new Error("--people must be a whole number");

const log = (line: string) => console.log(line);
const uidOf = (index: number) => `bench.${String(index).padStart(6, "0")}`;
const PASSWORD_SUFFIX = "-bench-directory-pass";

/** The bench's people as LDIF, for slapadd. */
function peopleLdif(count: number): string {
  const entries: string[] = [];
  for (let index = 1; index <= count; index++) {
    const uid = uidOf(index);
    entries.push(
      [
        `dn: uid=${uid},ou=people,dc=example,dc=edu`,
        "objectClass: inetOrgPerson",
        `uid: ${uid}`,
        `cn: Bench Person ${index}`,
        "givenName: Bench",
        `sn: Person ${index}`,
        `displayName: Bench Person ${index}`,
        `mail: ${uid}@example.edu`,
        `userPassword: ${uid}${PASSWORD_SUFFIX}`,
        "",
      ].join("\n"),
    );
  }
  return entries.join("\n");
}

/** Samples this process's resident memory until stopped; returns the peak in MiB. */
function watchMemory(): () => number {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  return () => {
    clearInterval(timer);
    return Math.round(Math.max(peak, process.memoryUsage().rss) / 2 ** 20);
  };
}

async function main() {
  // The settings and the database are read when first used: set the environment first.
  const work = mkdtempSync(path.join(tmpdir(), "factor-bench-directory-"));
  process.env.DATA_DIR ??= work;
  // Every request comes from one address, as in `npm run bench`.
  process.env.IP_FAILURE_THRESHOLD = "10000";
  const { startTestDirectory } = await import("../../lib/testing/directory");
  const ldif = path.join(work, "people.ldif");
  writeFileSync(ldif, peopleLdif(people));
  log(`Loading ${people.toLocaleString("en")} people into a throwaway OpenLDAP server…`);
  const directory = await startTestDirectory({ moreEntries: ldif });
  rmSync(ldif);
  Object.assign(process.env, directory.settings, { LDAP_TIMEOUT_SECONDS: "10" });

  const { getEnv } = await import("../../lib/env");
  const { directoryConfigFrom } = await import("../../lib/directory/config");
  const { runDirectorySync } = await import("../../lib/directory/sync");
  const { verifyPasswordStep } = await import("../../lib/auth/password-step");
  const { createTestDatabase } = await import("../../lib/testing/test-database");
  const config = directoryConfigFrom(getEnv())!;
  const database = await createTestDatabase();
  try {
    log(`Sync of ${people.toLocaleString("en")} directory entries into an empty database…`);
    const stopWatching = watchMemory();
    const started = performance.now();
    const result = await runDirectorySync(database.db, config, { pageSize: 1000 });
    const syncSeconds = (performance.now() - started) / 1000;
    const peakRssMiB = stopWatching();
    if (result?.outcome !== "completed")
      throw new Error(`the sync did not complete: ${JSON.stringify(result)}`);
    log(
      `  ${syncSeconds.toFixed(1)} s, peak ${peakRssMiB} MiB resident; ` +
        `created ${result.created}, updated ${result.updated}, errors ${result.errors}`,
    );

    log(`Directory password step, ${connections} at a time for ${args.duration} s…`);
    const context = { ip: "127.0.0.1", userAgent: "factor-bench" };
    let next = 0;
    let completed = 0;
    let refused = 0;
    const latencies: number[] = [];
    const deadline = performance.now() + durationMs;
    const startedStep = performance.now();
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (performance.now() < deadline) {
          // Each request a different person, so no person's own throttle is reached.
          const uid = uidOf((next++ % people) + 1);
          const began = performance.now();
          const answer = await verifyPasswordStep(
            database.db,
            {
              email: `${uid}@example.edu`,
              password: `${uid}${PASSWORD_SUFFIX}`,
              callbackPath: "/",
            },
            context,
          );
          latencies.push(performance.now() - began);
          if (answer.ok) completed += 1;
          else refused += 1;
        }
      }),
    );
    const stepSeconds = (performance.now() - startedStep) / 1000;
    latencies.sort((a, b) => a - b);
    const percentile = (p: number) =>
      Math.round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]!);
    const perSecond = completed / stepSeconds;
    log(
      `  ${perSecond.toFixed(1)} accepted/s, p50 ${percentile(0.5)} ms, p99 ${percentile(0.99)} ms` +
        (refused ? `, ${refused} refused` : ""),
    );
    if (refused > 0) throw new Error(`${refused} right passwords were refused`);

    const results = {
      machine: machine(),
      database: process.env.DATABASE_URL ? "postgres" : "pglite",
      people,
      sync: { seconds: Number(syncSeconds.toFixed(1)), peakRssMiB, created: result.created },
      passwordStep: {
        connections,
        seconds: Number(stepSeconds.toFixed(1)),
        acceptedPerSecond: Number(perSecond.toFixed(1)),
        p50Ms: percentile(0.5),
        p99Ms: percentile(0.99),
      },
    };
    mkdirSync("bench-results", { recursive: true });
    const file = path.join("bench-results", `directory-${results.database}-${people}.json`);
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    log(`Written to ${file}`);
  } finally {
    await database.dispose();
    await directory.dispose();
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
