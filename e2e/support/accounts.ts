import { spawnSync } from "node:child_process";
import type { DemoSignIn } from "./app-server";

/**
 * Creates an account with the operator command, as an administrator would, before a server opens
 * the data folder (the embedded database allows one process) or against the shared PostgreSQL.
 * `options.role` makes a helpdesk agent or an administrator; `options.env` adds to the command's
 * environment (e.g. a DATABASE_URL of the test's own).
 */
export function createAccount(
  name: string,
  dataDir: string,
  displayName = `Test ${name}`,
  options: { role?: DemoSignIn["role"]; env?: Record<string, string> } = {},
): DemoSignIn {
  const email = `${name}@example.edu`;
  const role = options.role ?? "user";
  const result = spawnSync(
    "npx",
    ["tsx", "scripts/user.ts", "create", "--email", email, "--name", displayName, "--role", role],
    { env: { ...process.env, DATA_DIR: dataDir, ...options.env }, encoding: "utf8" },
  );
  const password = /^password: (\S+)$/m.exec(result.stdout)?.[1];
  if (!password) throw new Error(`could not create ${email}:\n${result.stdout}${result.stderr}`);
  return { role, email, password };
}
