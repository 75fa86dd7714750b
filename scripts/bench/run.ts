import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { startAppServer, type AppServer } from "../../e2e/support/app-server";
import { buildIfNeeded } from "../build-if-needed";
import { CodeBook, CookieJar, codeForm, multipart, passwordForm, signIn, visit } from "./client";
import {
  argon2Ceiling,
  helloCeiling,
  LOAD,
  machine,
  measure,
  sample,
  serverPids,
  type Measurement,
} from "./measure";
import { measureRoundTrips, registerBenchApp } from "./oidc";
import { measureRadius, registerBenchRadiusClient } from "./radius";
import { prepareBenchDatabase, type BenchAccount, type BenchState, type Scale } from "./seed";

// npm run bench [-- --users N --events N] [--scale-check] [--port N] [--fresh] [--skip-directory]
// Seeds a database of its own, starts the production build on it, signs in through the real
// forms and measures each page and both sign-in steps; see BENCHMARKS.md.

const { values: args } = parseArgs({
  options: {
    users: { type: "string", default: "100000" },
    events: { type: "string", default: "1000000" },
    signers: { type: "string", default: "3000" },
    port: { type: "string", default: process.env.BENCH_PORT ?? "4321" },
    query: { type: "string", default: "morgan" },
    "scale-check": { type: "boolean", default: false },
    "skip-sign-in": { type: "boolean", default: false },
    "skip-directory": { type: "boolean", default: false },
    fresh: { type: "boolean", default: false },
    // Writes V8 CPU profiles of the server to bench-results/profiles when it stops.
    profile: { type: "boolean", default: false },
    // Caps the server's V8 heap (MiB), to tell retained memory from garbage not yet collected.
    heap: { type: "string" },
    // Shorter runs for trying the script out; recorded numbers use the defaults.
    duration: { type: "string" },
    runs: { type: "string" },
  },
});
if (args.duration) LOAD.durationSeconds = Number(args.duration);
if (args.runs) LOAD.runs = Number(args.runs);

const port = Number(args.port);
// The next port up is the bare node:http ceiling's.
const radiusPort = port + 2;
const base = `http://127.0.0.1:${port}`;
const postgresUrl = process.env.DATABASE_URL || undefined;
const log = (line: string) => console.log(line);

/** The bench server: production build, the bench database, limits set for load from one address. */
function startBenchServer(state: BenchState): Promise<AppServer> {
  return startAppServer({
    port,
    dataDir: state.dataDir,
    env: {
      DATABASE_URL: state.databaseUrl ?? "",
      SEED_DEMO: "false",
      AUTH_SECRET: state.authSecret,
      SEALING_KEYS: state.sealingKeys,
      RADIUS_PORT: String(radiusPort),
      // The seeded 90 days must survive the start-up purge.
      SIGN_IN_RETENTION_DAYS: "3650",
      // Every request comes from 127.0.0.1: one address signing in thousands of accounts.
      IP_FAILURE_THRESHOLD: "10000",
      ...(args.heap ? { NODE_OPTIONS: `--max-old-space-size=${Number(args.heap)}` } : {}),
      ...(args.profile
        ? {
            NODE_OPTIONS: `--import ${path.resolve("scripts/bench/profile-preload.mjs")}`,
            BENCH_PROFILE_DIR: path.resolve("bench-results", "profiles"),
          }
        : {}),
    },
  });
}

async function signedInPage(
  jar: CookieJar,
  pagePath: string,
  expect: RegExp,
): Promise<{ url: string; headers: Record<string, string> }> {
  const page = await visit(base, pagePath, jar);
  if (page.status !== 200 || !expect.test(page.body))
    throw new Error(`${pagePath} answered ${page.status} ${page.location}, not the page`);
  return { url: `${base}${pagePath}`, headers: { cookie: jar.header() } };
}

type Pending = { account: BenchAccount; cookie: string };

async function measureServer(state: BenchState, options: { pagesOnly: boolean }) {
  const app = options.pagesOnly ? null : registerBenchApp(state);
  const signingIn = !options.pagesOnly && !args["skip-sign-in"];
  const radiusSecret = signingIn ? registerBenchRadiusClient(state) : null;
  const server = await startBenchServer(state);
  const pids = serverPids(port);
  const results: Measurement[] = [];
  try {
    const codes = new CodeBook();
    const idle = sample(pids);
    log(`Server up (pids ${pids.join(", ")}), ${idle.rssMiB} MiB resident.`);

    const reader = await signIn(base, state.reader, state.password, codes);
    const admin = await signIn(base, state.admin, state.password, codes);
    const query = encodeURIComponent(args.query);

    if (!options.pagesOnly) {
      results.push(await measure("GET /signin", { url: `${base}/signin` }, pids, log));
      results.push(
        await measure(
          "GET /security-info",
          await signedInPage(reader, "/security-info", /Security info/),
          pids,
          log,
        ),
      );
    }
    results.push(
      await measure(
        "GET /sign-ins",
        await signedInPage(reader, "/sign-ins", /My sign-ins|Sign-ins/),
        pids,
        log,
      ),
    );
    results.push(
      await measure(
        `GET /admin/users?q=${args.query}`,
        await signedInPage(admin, `/admin/users?q=${query}`, /Users/),
        pids,
        log,
      ),
    );

    if (app) results.push(await measureRoundTrips(base, reader, app, pids, log));

    if (signingIn) {
      // The password step: many accounts in turn, each right password → a sign-in waiting for
      // its code. The transactions it leaves feed the code step below.
      const template = await passwordForm(base, state.signers[0]!, state.password);
      const bodies = state.signers.map((account) => {
        const { body, contentType } = multipart({ ...template, email: account.email });
        return { account, body, contentType };
      });
      const pending: Pending[] = [];
      let next = 0;
      results.push(
        await measure(
          "POST password step",
          {
            url: `${base}/signin`,
            method: "POST",
            setupRequest: (request, context) => {
              const item = bodies[next++ % bodies.length]!;
              (context as { account?: BenchAccount }).account = item.account;
              return {
                ...request,
                body: item.body as unknown as string,
                headers: { "content-type": item.contentType, origin: base },
              };
            },
            onResponse: (status, _body, context, headers) => {
              const raw = (headers ?? {}) as Record<string, string | string[]>;
              const cookies = Object.entries(raw).find(([name]) => /^set-cookie$/i.test(name))?.[1];
              const list = Array.isArray(cookies) ? cookies : cookies ? [cookies] : [];
              const cookie = list.find((c) => /signin=/.test(c))?.split(";")[0];
              const account = (context as { account?: BenchAccount }).account;
              if (status === 303 && cookie && account) pending.push({ account, cookie });
            },
          },
          pids,
          log,
        ),
      );

      // The code step: one waiting sign-in each, with a code its account has not used (each
      // time-step is accepted once per device). Runs are a fixed number of requests.
      const jar = new CookieJar();
      jar.take(pending[0]!.cookie);
      const codeTemplate = await codeForm(base, jar, pending[0]!.account);
      const seen = new Set<string>();
      const unique = pending
        .slice(1)
        .filter((p) => !seen.has(p.account.email) && seen.add(p.account.email));
      const perRun = Math.max(10, Math.floor(unique.length / (LOAD.runs + 1)));
      results.push(
        await measure(
          "POST code step",
          (run) => {
            const batch = unique.slice(run * perRun, (run + 1) * perRun);
            let i = 0;
            return {
              url: `${base}/signin/verify`,
              method: "POST",
              amount: batch.length,
              setupRequest: (request) => {
                const item = batch[i++ % batch.length]!;
                const code = codes.next(item.account) ?? "000000";
                const { body, contentType } = multipart({
                  ...codeTemplate,
                  ...("method" in codeTemplate ? { method: item.account.methodId } : {}),
                  code,
                });
                return {
                  ...request,
                  body: body as unknown as string,
                  headers: { "content-type": contentType, origin: base, cookie: item.cookie },
                };
              },
            };
          },
          pids,
          log,
        ),
      );

      // A VPN's sign-in beside the web's: password and code in one Access-Request.
      if (radiusSecret)
        results.push(await measureRadius(radiusPort, radiusSecret, state, codes, pids, log));
    }
    const end = sample(pids);
    return { results, idleRssMiB: idle.rssMiB, peakRssMiB: end.peakRssMiB };
  } finally {
    await server.stop();
  }
}

function table(rows: Measurement[]): string {
  const lines = [
    "| measurement | req/s | p50 ms | p99 ms | server CPU ms/req | RSS after, MiB | requests | statuses |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
  ];
  for (const row of rows)
    lines.push(
      `| ${row.name} | ${row.rps} | ${row.p50} | ${row.p99} | ${row.cpuMsPerRequest ?? "–"} | ${row.rssMiB ?? "–"} | ${row.requests} | ${Object.entries(
        row.statuses,
      )
        .map(([code, count]) => `${code}×${count}`)
        .join(" ")} |`,
    );
  return lines.join("\n");
}

async function main() {
  if (!buildIfNeeded(log)) throw new Error("next build failed");
  const scale: Scale = { users: Number(args.users), events: Number(args.events) };
  const signers = Math.min(Number(args.signers), scale.users - 1);
  const started = new Date();
  const host = machine();
  log(
    `Factor benchmark on ${host.cpus} CPUs, ${host.memoryGiB} GiB, Node ${host.node}, load ${host.loadAverage.join(" ")}`,
  );

  const scales: Scale[] = args["scale-check"] ? [{ users: 1000, events: 10_000 }, scale] : [scale];
  const report: Record<string, unknown> = {
    machine: host,
    driver: postgresUrl ? "postgres" : "pglite",
    load: LOAD,
    scales: [] as unknown[],
  };
  const markdown: string[] = [
    `Factor benchmark, ${started.toISOString()}, ${postgresUrl ? "PostgreSQL" : "embedded PGlite"}; ` +
      `${host.cpus} CPUs (${host.cpuModel}), ${host.memoryGiB} GiB, Node ${host.node}, ` +
      `load average at start ${host.loadAverage.join(" ")}. ${LOAD.connections} connections, ` +
      (args.heap ? `server heap capped at ${args.heap} MiB, ` : "") +
      `${LOAD.durationSeconds} s runs after a ${LOAD.warmupSeconds} s warm-up, median of ${LOAD.runs}.`,
  ];

  if (!args["scale-check"]) {
    log("Ceilings: node:http hello and argon2id…");
    const hello = await helloCeiling(port + 1, log);
    const argon2 = await argon2Ceiling();
    log(`  argon2id: ${argon2.hashesPerSecond} hashes/s (${argon2.msPerHash} ms one alone)`);
    report.ceilings = { hello, argon2 };
    markdown.push(
      "",
      `Ceilings on this run: bare node:http ${hello.rps} req/s (p50 ${hello.p50} ms); ` +
        `argon2id (m=19456, t=2, p=1) ${argon2.hashesPerSecond} hashes/s with ${LOAD.connections} in flight, ${argon2.msPerHash} ms alone.`,
    );
  }

  const perScale: { scale: Scale; results: Measurement[] }[] = [];
  for (const current of scales) {
    const state = await prepareBenchDatabase({
      scale: current,
      signers: Math.min(signers, current.users - 1),
      postgresUrl,
      fresh: args.fresh,
      log,
    });
    log(`Measuring ${current.users} people / ${current.events} events…`);
    const measured = await measureServer(state, { pagesOnly: args["scale-check"] });
    perScale.push({ scale: current, results: measured.results });
    (report.scales as unknown[]).push({ scale: current, ...measured });
    markdown.push(
      "",
      `**${current.users.toLocaleString("en")} people, ${current.events.toLocaleString("en")} sign-in events** ` +
        `(server resident ${measured.idleRssMiB} MiB after start, peak ${measured.peakRssMiB} MiB)`,
      "",
      table(measured.results),
    );
  }

  if (args["scale-check"] && perScale.length === 2) {
    const [small, large] = perScale as [(typeof perScale)[0], (typeof perScale)[0]];
    const lines = [
      "| page | p50 ratio (large / small) | req/s ratio (small / large) | within 2× |",
      "| --- | ---: | ---: | --- |",
    ];
    const ratios = large.results.map((row, i) => {
      const before = small.results[i]!;
      const p50 = Math.round((row.p50 / Math.max(before.p50, 1)) * 100) / 100;
      const rps = Math.round((before.rps / Math.max(row.rps, 0.1)) * 100) / 100;
      lines.push(`| ${row.name} | ${p50} | ${rps} | ${p50 <= 2 && rps <= 2 ? "yes" : "no"} |`);
      return { name: row.name, p50, rps };
    });
    report.scaleCheck = ratios;
    markdown.push("", "Scale check:", "", lines.join("\n"));
  }

  const stamp = started.toISOString().replace(/[:.]/g, "-");
  mkdirSync("bench-results", { recursive: true });
  const file = path.join("bench-results", `${stamp}${args["scale-check"] ? "-scale" : ""}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2));
  writeFileSync(file.replace(/\.json$/, ".md"), markdown.join("\n") + "\n");
  log("");
  log(markdown.join("\n"));
  log(`\nWritten ${file} and its .md.`);

  // The directory's password step and sync, against a throwaway OpenLDAP server of their own,
  // where slapd is installed (`npm run bench:directory` runs them alone).
  if (!args["scale-check"] && !args["skip-directory"] && existsSync("/usr/sbin/slapd")) {
    log("");
    const directory = spawnSync(
      "npx",
      [
        "tsx",
        "scripts/bench/directory.ts",
        "--people",
        args.users,
        ...(args.duration ? ["--duration", args.duration] : []),
      ],
      { stdio: "inherit" },
    );
    if (directory.status !== 0) throw new Error("the directory bench failed");
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
