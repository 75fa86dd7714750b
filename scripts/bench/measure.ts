import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, totalmem } from "node:os";
import autocannon from "autocannon";
import { hash } from "@node-rs/argon2";
import { PASSWORD_HASH_PARAMS } from "../../lib/security/password";

// Load on loopback with autocannon, the server's CPU and memory from /proc, and the machine's
// ceilings (a bare node:http server, argon2id hashes per second) on the same run.

export const LOAD = { connections: 10, durationSeconds: 15, warmupSeconds: 5, runs: 3 };

const TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux

export type Machine = {
  date: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  loadAverage: number[];
};

export function machine(): Machine {
  return {
    date: new Date().toISOString(),
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    loadAverage: loadavg().map((value) => Math.round(value * 100) / 100),
  };
}

/** The processes of a server started with PORT=<port> (tsx's wrapper and the server itself). */
export function serverPids(port: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (!cmdline.includes("server.ts")) continue;
      const environ = readFileSync(`/proc/${entry}/environ`, "utf8");
      if (environ.split("\0").includes(`PORT=${port}`)) pids.push(Number(entry));
    } catch {
      // gone, or not ours
    }
  }
  return pids;
}

export type ProcessSample = { cpuMs: number; rssMiB: number; peakRssMiB: number };

/** CPU time used so far (user + system) summed over the pids, and the largest one's memory. */
export function sample(pids: number[]): ProcessSample {
  let cpuMs = 0;
  let rssMiB = 0;
  let peakRssMiB = 0;
  for (const pid of pids) {
    try {
      // Fields after the command name (which may hold spaces) start at "state": utime is 14th.
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      cpuMs += ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const kib = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
      rssMiB = Math.max(rssMiB, kib("VmRSS") / 1024);
      peakRssMiB = Math.max(peakRssMiB, kib("VmHWM") / 1024);
    } catch {
      // exited
    }
  }
  return { cpuMs, rssMiB: Math.round(rssMiB), peakRssMiB: Math.round(peakRssMiB) };
}

export type LoadSpec = {
  url: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Changes each request (autocannon's setupRequest); return the request to send. */
  setupRequest?: autocannon.Request["setupRequest"];
  onResponse?: autocannon.Request["onResponse"];
  durationSeconds?: number;
  /** A fixed number of requests instead of a duration. */
  amount?: number;
};

export type RunResult = {
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  statuses: Record<string, number>;
  errors: number;
  cpuMsPerRequest: number | null;
};

/** One autocannon run at 10 connections; CPU per request when the server's pids are given. */
export async function loadRun(spec: LoadSpec, pids: number[] = []): Promise<RunResult> {
  const before = pids.length ? sample(pids) : null;
  const started = Date.now();
  const result = await autocannon({
    url: spec.url,
    connections: LOAD.connections,
    pipelining: 1,
    ...(spec.amount
      ? { amount: spec.amount }
      : { duration: spec.durationSeconds ?? LOAD.durationSeconds }),
    timeout: 30,
    // autocannon calls a hook whenever its key is present, even when undefined.
    requests: [
      Object.fromEntries(
        Object.entries({
          method: spec.method ?? "GET",
          headers: spec.headers,
          body: spec.body as string | undefined,
          setupRequest: spec.setupRequest,
          onResponse: spec.onResponse,
        }).filter(([, value]) => value !== undefined),
      ),
    ],
  });
  const seconds = (Date.now() - started) / 1000;
  const after = pids.length ? sample(pids) : null;
  const statuses: Record<string, number> = {};
  for (const [code, value] of Object.entries(result.statusCodeStats ?? {}))
    statuses[code] = (value as { count: number }).count;
  const requests = Object.values(statuses).reduce((sum, count) => sum + count, 0);
  return {
    requests,
    seconds: Math.round(seconds * 10) / 10,
    rps: Math.round((requests / (spec.amount ? seconds : result.duration)) * 10) / 10,
    p50: result.latency.p50,
    p99: result.latency.p99,
    statuses,
    errors: result.errors + result.timeouts,
    cpuMsPerRequest:
      before && after && requests > 0
        ? Math.round(((after.cpuMs - before.cpuMs) / requests) * 100) / 100
        : null,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export type Measurement = {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  cpuMsPerRequest: number | null;
  requests: number;
  statuses: Record<string, number>;
  errors: number;
  /** The server's resident memory after the runs, and its peak so far. */
  rssMiB: number | null;
  peakRssMiB: number | null;
  runs: RunResult[];
};

/** Warm-up, then three runs; each figure is the median of the three. */
export async function measure(
  name: string,
  spec: LoadSpec | ((run: number) => LoadSpec | Promise<LoadSpec>),
  pids: number[] = [],
  log: (line: string) => void = console.log,
): Promise<Measurement> {
  const specFor = async (run: number) => (typeof spec === "function" ? spec(run) : spec);
  const warm = await specFor(0);
  await loadRun(warm.amount ? warm : { ...warm, durationSeconds: LOAD.warmupSeconds }, pids);
  const runs: RunResult[] = [];
  for (let run = 1; run <= LOAD.runs; run++) runs.push(await loadRun(await specFor(run), pids));
  const statuses: Record<string, number> = {};
  for (const run of runs)
    for (const [code, count] of Object.entries(run.statuses))
      statuses[code] = (statuses[code] ?? 0) + count;
  const cpu = runs.map((run) => run.cpuMsPerRequest).filter((v): v is number => v !== null);
  const measurement: Measurement = {
    name,
    rps: median(runs.map((run) => run.rps)),
    p50: median(runs.map((run) => run.p50)),
    p99: median(runs.map((run) => run.p99)),
    cpuMsPerRequest: cpu.length ? median(cpu) : null,
    requests: runs.reduce((sum, run) => sum + run.requests, 0),
    statuses,
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    rssMiB: pids.length ? sample(pids).rssMiB : null,
    peakRssMiB: pids.length ? sample(pids).peakRssMiB : null,
    runs,
  };
  log(
    `  ${name}: ${measurement.rps} req/s, p50 ${measurement.p50} ms, p99 ${measurement.p99} ms, ` +
      `${measurement.cpuMsPerRequest ?? "–"} CPU ms/req, RSS ${measurement.rssMiB ?? "–"} MiB ` +
      `(peak ${measurement.peakRssMiB ?? "–"}), statuses ${JSON.stringify(statuses)}`,
  );
  return measurement;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! : 0;
}

/**
 * Round trips that are more than one HTTP request (an OpenID Connect exchange) or not HTTP at
 * all (a RADIUS Access-Request): LOAD.connections callers at once, each running `once` again and
 * again for LOAD.durationSeconds after a warm-up; each figure the median of LOAD.runs. `once`
 * answers a status: only `succeeded` counts towards the rate, latency and CPU per round trip;
 * a throw is an error.
 */
export async function measureLoop(
  name: string,
  once: () => Promise<string>,
  options: { succeeded: string; pids: number[]; log: (line: string) => void },
): Promise<Measurement> {
  const { succeeded, pids, log } = options;
  const runOnce = async (seconds: number): Promise<RunResult> => {
    const before = sample(pids);
    const latencies: number[] = [];
    const statuses: Record<string, number> = {};
    let errors = 0;
    const end = Date.now() + seconds * 1000;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: LOAD.connections }, async () => {
        while (Date.now() < end) {
          const at = performance.now();
          try {
            const status = await once();
            statuses[status] = (statuses[status] ?? 0) + 1;
            if (status === succeeded) latencies.push(performance.now() - at);
          } catch {
            errors++;
          }
        }
      }),
    );
    const elapsed = (Date.now() - started) / 1000;
    const after = sample(pids);
    latencies.sort((a, b) => a - b);
    return {
      requests: latencies.length,
      seconds: Math.round(elapsed * 10) / 10,
      rps: Math.round((latencies.length / elapsed) * 10) / 10,
      p50: Math.round(percentile(latencies, 0.5)),
      p99: Math.round(percentile(latencies, 0.99)),
      statuses,
      errors,
      cpuMsPerRequest: latencies.length
        ? Math.round(((after.cpuMs - before.cpuMs) / latencies.length) * 100) / 100
        : null,
    };
  };
  await runOnce(LOAD.warmupSeconds);
  const runs: RunResult[] = [];
  for (let run = 0; run < LOAD.runs; run++) runs.push(await runOnce(LOAD.durationSeconds));
  const statuses: Record<string, number> = {};
  for (const run of runs)
    for (const [status, count] of Object.entries(run.statuses))
      statuses[status] = (statuses[status] ?? 0) + count;
  const cpu = runs.map((run) => run.cpuMsPerRequest).filter((v): v is number => v !== null);
  const now = sample(pids);
  const measurement: Measurement = {
    name,
    rps: median(runs.map((run) => run.rps)),
    p50: median(runs.map((run) => run.p50)),
    p99: median(runs.map((run) => run.p99)),
    cpuMsPerRequest: cpu.length ? median(cpu) : null,
    requests: runs.reduce((sum, run) => sum + run.requests, 0),
    statuses,
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    rssMiB: now.rssMiB,
    peakRssMiB: now.peakRssMiB,
    runs,
  };
  log(
    `  ${name}: ${measurement.rps} round trips/s, p50 ${measurement.p50} ms, ` +
      `p99 ${measurement.p99} ms, ${measurement.cpuMsPerRequest ?? "–"} CPU ms per round trip, ` +
      `statuses ${JSON.stringify(statuses)}, errors ${measurement.errors}`,
  );
  return measurement;
}

/** A bare node:http "hello" server in its own process: the most this machine serves. */
export async function helloCeiling(port: number, log?: (line: string) => void) {
  const child = spawn(
    process.execPath,
    [
      "-e",
      `require("node:http").createServer((q, s) => s.end("hello")).listen(${port}, "127.0.0.1", () => console.log("up"))`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  await new Promise<void>((resolve) => child.stdout!.once("data", () => resolve()));
  try {
    return await measure(
      "node:http hello",
      { url: `http://127.0.0.1:${port}/` },
      [child.pid!],
      log,
    );
  } finally {
    child.kill();
  }
}

/**
 * argon2id hashes per second at the password policy's parameters, with as many in flight as the
 * benchmark has connections (libuv's pool spreads them over the cores, as in the server).
 */
export async function argon2Ceiling(
  seconds = 10,
): Promise<{ hashesPerSecond: number; msPerHash: number }> {
  const deadline = Date.now() + seconds * 1000;
  let done = 0;
  const started = Date.now();
  const worker = async () => {
    while (Date.now() < deadline) {
      await hash("bench-password-for-the-ceiling", PASSWORD_HASH_PARAMS);
      done++;
    }
  };
  await Promise.all(Array.from({ length: LOAD.connections }, worker));
  const elapsed = (Date.now() - started) / 1000;
  const single = Date.now();
  await hash("bench-password-for-the-ceiling", PASSWORD_HASH_PARAMS);
  return {
    hashesPerSecond: Math.round((done / elapsed) * 10) / 10,
    msPerHash: Date.now() - single,
  };
}
