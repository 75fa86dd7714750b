import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { rememberDatabase } from "./authenticator";

export type DemoSignIn = { role: "user" | "helpdesk" | "admin"; email: string; password: string };

export type AppServer = {
  url: string;
  port: number;
  dataDir: string;
  demo: DemoSignIn[];
  output: () => string;
  stop: () => Promise<void>;
};

const DEMO_LINE = /^ {2}(user|helpdesk|admin) {2}(\S+@\S+) {2}(\S+)$/;

/**
 * Starts the production build the way `npm start` serves it, on a fresh data folder unless one is
 * given, and reads the address and demo sign-ins from what it prints — as a person would.
 */
export async function startAppServer(options: {
  port: number;
  dataDir?: string;
  env?: Record<string, string>;
}): Promise<AppServer> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), "factor-e2e-"));
  rememberDatabase(options.port, dataDir, options.env);
  const child = spawn("npx", ["tsx", "server.ts"], {
    env: {
      ...process.env,
      PORT: String(options.port),
      DATA_DIR: dataDir,
      ...(process.env.DATABASE_URL ? { SEED_DEMO: "true" } : {}),
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  const demo: DemoSignIn[] = [];
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 90_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /Factor is ready at (http:\/\/\S+)/.exec(output)?.[1];
      if (url && output.endsWith("\n")) {
        clearTimeout(timer);
        // Demo lines follow the ready line in the same write burst; give them a moment.
        setTimeout(() => resolve(url), 300);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });
  const url = await ready;
  for (const line of output.split("\n")) {
    const match = DEMO_LINE.exec(line);
    if (match)
      demo.push({ role: match[1] as DemoSignIn["role"], email: match[2]!, password: match[3]! });
  }
  return {
    url,
    port: options.port,
    dataDir,
    demo,
    output: () => output,
    stop: () => stopProcess(child),
  };
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops the server's whole process group and waits until every process in it has gone. */
async function stopProcess(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || !groupAlive(pid)) return;
  process.kill(-pid, "SIGTERM");
  const deadline = Date.now() + 15_000;
  while (groupAlive(pid)) {
    if (Date.now() > deadline) process.kill(-pid, "SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
