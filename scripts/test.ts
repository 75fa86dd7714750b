import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { buildIfNeeded } from "./build-if-needed";
import { closingLine, playwrightCounts, vitestCounts, type Counts } from "./test-results";

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
if (selected.includes("unit")) rmSync(path.join(out, "vitest.json"), { force: true });
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

// The typechecker and the linter each keep one core busy: side by side they take as long as the
// slower of the two.
const checks: [Suite, Promise<boolean>][] = [];
if (selected.includes("typecheck"))
  checks.push(["typecheck", runQuietly("npx", ["tsc", "--noEmit"])]);
if (selected.includes("lint")) checks.push(["lint", runQuietly("npm", ["run", "-s", "lint"])]);
for (const [suite, passed] of checks) if (!(await passed)) failures.push(suite);

if (selected.includes("unit")) {
  const report = path.join(out, "vitest.json");
  const ok = run("npx", [
    "vitest",
    "run",
    "--reporter=default",
    "--reporter=json",
    `--outputFile=${report}`,
  ]);
  const ran = existsSync(report) ? vitestCounts(report) : undefined;
  if (ran) add(ran);
  if (!ok || !ran || ran.passed + ran.failed === 0) failures.push("unit");
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
