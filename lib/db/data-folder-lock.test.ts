import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, expect, it } from "vitest";
import { acquireDataFolderLock, releaseDataFolderLock } from "./data-folder-lock";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) releaseDataFolderLock(dir);
});

function freshDir() {
  const dir = mkdtempSync(path.join(tmpdir(), "factor-lock-"));
  dirs.push(dir);
  return dir;
}

/** Tries to take the lock from another process, the way a second `npm start` would. */
function acquireFromAnotherProcess(dataDir: string) {
  const script = `import { acquireDataFolderLock } from "./lib/db/data-folder-lock.ts";
try { acquireDataFolderLock(${JSON.stringify(dataDir)}); console.log("acquired"); }
catch (e) { console.error(e.message); process.exit(3); }`;
  return spawnSync("npx", ["tsx", "--eval", script], { encoding: "utf8", cwd: process.cwd() });
}

it("refuses a second process with a message naming the folder and the way out", () => {
  const dir = freshDir();
  acquireDataFolderLock(dir);
  const second = acquireFromAnotherProcess(dir);
  expect(second.status).toBe(3);
  expect(second.stderr).toContain(`already running on the data folder ${dir}`);
  expect(second.stderr).toContain(`process ${process.pid}`);
  expect(second.stderr).toContain("DATA_DIR");
});

it("takes over a lock left by a process that no longer exists", () => {
  const dir = freshDir();
  writeFileSync(path.join(dir, "factor.lock"), "2147483646");
  const other = acquireFromAnotherProcess(dir);
  expect(other.stdout).toContain("acquired");
});

it("releases the lock so the folder can be opened again", () => {
  const dir = freshDir();
  acquireDataFolderLock(dir);
  releaseDataFolderLock(dir);
  expect(existsSync(path.join(dir, "factor.lock"))).toBe(false);
  expect(acquireFromAnotherProcess(dir).stdout).toContain("acquired");
});
