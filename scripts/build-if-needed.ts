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

function newestModification(entry: string): number {
  if (!existsSync(entry)) return 0;
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(entry).reduce(
    (newest, child) => Math.max(newest, newestModification(path.join(entry, child))),
    stat.mtimeMs,
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
