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

/**
 * Creates several accounts in one go, as createAccount does one: a file's accounts cost one
 * process start instead of one each. Each entry is a name and, optionally, its role and display
 * name.
 */
export function createAccounts<Name extends string>(
  entries: readonly (Name | { name: Name; role?: DemoSignIn["role"]; displayName?: string })[],
  dataDir: string,
  options: { env?: Record<string, string> } = {},
): Record<Name, DemoSignIn> {
  const wanted = entries.map((entry) => {
    const {
      name,
      role = "user",
      displayName,
    } = typeof entry === "string" ? { name: entry } : entry;
    return { name, email: `${name}@example.edu`, displayName: displayName ?? `Test ${name}`, role };
  });
  const result = spawnSync("npx", ["tsx", "e2e/support/create-accounts.ts"], {
    env: { ...process.env, DATA_DIR: dataDir, ...options.env },
    input: JSON.stringify(wanted),
    encoding: "utf8",
  });
  if (result.status !== 0)
    throw new Error(`could not create accounts:\n${result.stdout}${result.stderr}`);
  const created = JSON.parse(result.stdout.trim().split("\n").at(-1)!) as {
    email: string;
    password: string;
  }[];
  return Object.fromEntries(
    wanted.map(({ name, email, role }) => {
      const password = created.find((c) => c.email === email)?.password;
      if (!password) throw new Error(`no password for ${email}`);
      return [name, { role, email, password }];
    }),
  ) as Record<Name, DemoSignIn>;
}
