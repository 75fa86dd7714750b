import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { acquireDataFolderLock } from "@/lib/db/data-folder-lock";
import { getEnv } from "@/lib/env";
import { reportStartFailure, startServer } from "../server";

// `npm start`: build when the sources are newer than the last build, then serve.

const SOURCES = ["app", "components", "lib", "public", "next.config.ts", "package-lock.json", "postcss.config.mjs"];

function newestModification(entry: string): number {
  if (!existsSync(entry)) return 0;
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(entry).reduce(
    (newest, child) => Math.max(newest, newestModification(path.join(entry, child))),
    stat.mtimeMs,
  );
}

function buildIsCurrent(): boolean {
  const buildId = path.join(".next", "BUILD_ID");
  if (!existsSync(buildId)) return false;
  const built = statSync(buildId).mtimeMs;
  return SOURCES.every((source) => newestModification(source) <= built);
}

try {
  const env = getEnv();
  // Refuse a second process before touching the build a first one may be serving.
  if (env.embedded) acquireDataFolderLock(env.dataDir);
  if (!buildIsCurrent()) {
    console.log("Building Factor (first start or sources changed)…");
    const result = spawnSync("npx", ["next", "build"], { stdio: "inherit" });
    if (result.status !== 0) {
      console.error("The build failed; see the messages above.");
      process.exit(1);
    }
  }
  await startServer();
} catch (error) {
  reportStartFailure(error);
}
