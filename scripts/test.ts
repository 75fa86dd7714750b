import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { buildIfNeeded } from "./build-if-needed";
import {
  closingLine,
  playwrightCounts,
  UNIT_ERRORS_FILE,
  vitestCounts,
  type Counts,
} from "./test-results";

// npm test: typecheck, lint, unit/integration (Vitest), end-to-end (Playwright, real chromium).
// Reports go to .ci-out/<lane>/; the last line is "N passed, N failed" summing both runners.

const SUITES = ["typecheck", "lint", "unit", "e2e"] as const;
type Suite = (typeof SUITES)[number];

const { values } = parseArgs({ options: { suites: { type: "string" } } });
const selected = (values.suites?.split(",") ?? SUITES) as Suite[];
const lane = process.env.TEST_LANE ?? (process.env.DATABASE_URL ? "postgres" : "embedded");
const out = path.join(".ci-out", lane);
// Only this run's reports are replaced: CI runs a lane's suites in more than one call.
mkdirSync(out, { recursive: true });
if (selected.includes("unit")) {
  rmSync(path.join(out, "vitest.json"), { force: true });
  rmSync(path.join(out, UNIT_ERRORS_FILE), { force: true });
}
if (selected.includes("e2e")) rmSync(path.join(out, "playwright.json"), { force: true });

function run(command: string, args: string[], env: Record<string, string> = {}): boolean {
  console.log(`\n$ ${command} ${args.join(" ")}`);
  return (
    spawnSync(command, args, { stdio: "inherit", env: { ...process.env, ...env } }).status === 0
  );
}

const failures: string[] = [];
const counts: Counts = { passed: 0, failed: 0, skipped: 0 };
const add = (more: Counts) => {
  counts.passed += more.passed;
  counts.failed += more.failed;
  counts.skipped += more.skipped;
};

/**
 * Runs a command alongside others, keeping its output until it ends so that two suites' lines
 * do not interleave.
 */
function runQuietly(command: string, args: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    let output = "";
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("close", (code) => {
      console.log(`\n$ ${command} ${args.join(" ")}\n${output}`);
      resolve(code === 0);
    });
  });
}

/** Runs a command with its output shown as it comes, and kept. */
function runShowingOutput(
  command: string,
  args: string[],
): Promise<{ ok: boolean; output: string }> {
  console.log(`\n$ ${command} ${args.join(" ")}`);
  return new Promise((resolve) => {
    let output = "";
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    const keep = (stream: NodeJS.WriteStream) => (chunk: Buffer) => {
      stream.write(chunk);
      output += chunk.toString();
    };
    child.stdout.on("data", keep(process.stdout));
    child.stderr.on("data", keep(process.stderr));
    child.on("close", (code) => resolve({ ok: code === 0, output }));
  });
}

/**
 * The lines of a failed run worth repeating at the very end of CI's log: vitest's error blocks
 * (failed tests, unhandled errors, a worker that died) without colours, at most 60 lines.
 */
function errorLines(output: string): string {
  const plain = output.replace(/\x1b\[[0-9;]*m/g, "").split("\n");
  const start = plain.findIndex((line) => /⎯{3,} (Failed|Unhandled)/.test(line));
  const lines = start >= 0 ? plain.slice(start) : plain.slice(-30);
  return lines.slice(0, 60).join("\n");
}

// The typechecker and the linter each keep one core busy: side by side they take as long as the
// slower of the two.
const checks: [Suite, Promise<boolean>][] = [];
if (selected.includes("typecheck"))
  checks.push(["typecheck", runQuietly("npx", ["tsc", "--noEmit"])]);
if (selected.includes("lint")) checks.push(["lint", runQuietly("npm", ["run", "-s", "lint"])]);
for (const [suite, passed] of checks) if (!(await passed)) failures.push(suite);

if (selected.includes("unit")) {
  const report = path.join(out, "vitest.json");
  const { ok, output } = await runShowingOutput("npx", [
    "vitest",
    "run",
    "--reporter=default",
    "--reporter=json",
    `--outputFile=${report}`,
  ]);
  const ran = existsSync(report) ? vitestCounts(report) : undefined;
  if (ran) add(ran);
  if (!ok || !ran || ran.passed + ran.failed === 0) {
    failures.push("unit");
    writeFileSync(path.join(out, UNIT_ERRORS_FILE), errorLines(output));
  }
}

if (selected.includes("e2e")) {
  const report = path.join(out, "playwright.json");
  if (!buildIfNeeded()) {
    failures.push("build");
  } else {
    const ok = run("npx", ["playwright", "test"], { PLAYWRIGHT_JSON_OUTPUT_NAME: report });
    const ran = existsSync(report) ? playwrightCounts(report) : undefined;
    if (ran) add(ran);
    if (!ok || !ran || ran.passed + ran.failed === 0) failures.push("e2e");
  }
}

console.log(
  `\nLane ${lane}: ${failures.length ? `failed: ${failures.join(", ")}` : "all suites passed"}`,
);
console.log(closingLine(counts));
process.exit(failures.length ? 1 : 0);
