import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import path from "node:path";

/** Raised when another live process already uses the embedded database folder. */
export class DataFolderInUseError extends Error {
  constructor(dataDir: string, pid: number) {
    super(
      `Factor is already running on the data folder ${dataDir} (process ${pid}).\n` +
        `The embedded database can be opened by one process only. Stop the other process first, ` +
        `or start this one with DATA_DIR set to a different folder.`,
    );
    this.name = "DataFolderInUseError";
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

const held = new Set<string>();

/**
 * PGlite does not stop a second process from opening the same folder, and both would silently
 * lose writes (STACK.md #4). A lock file holding our pid refuses the second opener; a lock left
 * by a process that no longer exists is taken over.
 */
export function acquireDataFolderLock(dataDir: string): void {
  const lockFile = path.join(dataDir, "factor.lock");
  if (held.has(lockFile)) return;
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(lockFile, "wx", 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      held.add(lockFile);
      process.once("exit", () => releaseDataFolderLock(dataDir));
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = Number.parseInt(readFileSync(lockFile, "utf8"), 10);
      if (owner === process.pid) {
        held.add(lockFile);
        return;
      }
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
        throw new DataFolderInUseError(dataDir, owner);
      }
      try {
        unlinkSync(lockFile); // stale: its process is gone
      } catch {
        // someone else removed it first; try again
      }
    }
  }
  throw new Error(
    `Could not take the lock ${lockFile}; remove it if no Factor process is running.`,
  );
}

/** Releases the lock if this process holds it. */
export function releaseDataFolderLock(dataDir: string): void {
  const lockFile = path.join(dataDir, "factor.lock");
  if (!held.delete(lockFile)) return;
  try {
    if (Number.parseInt(readFileSync(lockFile, "utf8"), 10) === process.pid) unlinkSync(lockFile);
  } catch {
    // already gone
  }
}
