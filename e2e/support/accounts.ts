import { spawnSync } from "node:child_process";
import type { DemoSignIn } from "./app-server";

/**
 * Creates an account with the operator command, as an administrator would, before a server opens
 * the data folder (the embedded database allows one process) or against the shared PostgreSQL.
 */
export function createAccount(
  name: string,
  dataDir: string,
  displayName = `Test ${name}`,
): DemoSignIn {
  const email = `${name}@example.edu`;
  const result = spawnSync(
    "npx",
    ["tsx", "scripts/user.ts", "create", "--email", email, "--name", displayName, "--role", "user"],
    { env: { ...process.env, DATA_DIR: dataDir }, encoding: "utf8" },
  );
  const password = /^password: (\S+)$/m.exec(result.stdout)?.[1];
  if (!password) throw new Error(`could not create ${email}:\n${result.stdout}${result.stderr}`);
  return { role: "user", email, password };
}
