import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

const SOURCES = [
  "app",
  "components",
  "lib",
  "public",
  "next.config.ts",
  "package-lock.json",
  "postcss.config.mjs",
];

// Files only: a folder's own time changes whenever anything comes or goes in it, a test's scratch
// file included, and two test runs that both took that for a change would both start a build.
function newestModification(entry: string): number {
  if (!existsSync(entry)) return 0;
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(entry).reduce(
    (newest, child) => Math.max(newest, newestModification(path.join(entry, child))),
    0,
  );
}

/** True when a production build exists and no source is newer than it. */
export function buildIsCurrent(): boolean {
  const buildId = path.join(".next", "BUILD_ID");
  if (!existsSync(buildId)) return false;
  const built = statSync(buildId).mtimeMs;
  return SOURCES.every((source) => newestModification(source) <= built);
}

/** Runs `next build` unless the build is current; returns false when the build failed. */
export function buildIfNeeded(log: (line: string) => void = console.log): boolean {
  if (buildIsCurrent()) return true;
  log("Building Factor (first start or sources changed)…");
  return spawnSync("npx", ["next", "build"], { stdio: "inherit" }).status === 0;
}
