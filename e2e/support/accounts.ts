import { spawnSync } from "node:child_process";
import type { DemoSignIn } from "./app-server";
import { addDevice, rememberDatabase } from "./authenticator";
import type { PairedPhone } from "./companion";
import { E2E_PORT } from "./state";

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

/** What e2e/support/create-accounts.ts prints for each account. */
export type CreatedAccount = {
  email: string;
  password: string;
  /** The authenticator app enrolled with an account that has a phone, and the step it used. */
  authenticator?: { secret: string; usedStep: number };
  phone?: PairedPhone;
};

/** An account made for a test; with `phone` when one was paired for it. */
export type Account = DemoSignIn & { phone?: PairedPhone };

/**
 * Creates several accounts in one go, as createAccount does one: a file's accounts cost one
 * process start instead of one each. Each entry is a name and, optionally, its role and display
 * name, and `phone`: the name of a phone paired with the companion app (Account.phone, opened
 * with openPairedPhone) after an authenticator app the person's codes come from (freshCode on
 * `options.port`), as if they had signed in once and paired it from Security info; or
 * `authenticator`: that app alone.
 */
export function createAccounts<Name extends string>(
  entries: readonly (
    | Name
    | {
        name: Name;
        role?: DemoSignIn["role"];
        displayName?: string;
        phone?: string;
        authenticator?: boolean;
      }
  )[],
  dataDir: string,
  options: { env?: Record<string, string>; port?: number } = {},
): Record<Name, Account> {
  // The accounts' devices are kept with the database of the server they are made for.
  if (options.port !== undefined) rememberDatabase(options.port, dataDir, options.env);
  const wanted = entries.map((entry) => {
    const {
      name,
      role = "user",
      displayName,
      phone,
      authenticator,
    } = typeof entry === "string" ? { name: entry } : entry;
    return {
      name,
      email: `${name}@example.edu`,
      displayName: displayName ?? `Test ${name}`,
      role,
      ...(phone === undefined ? {} : { phone }),
      ...(authenticator ? { authenticator } : {}),
    };
  });
  const result = spawnSync("npx", ["tsx", "e2e/support/create-accounts.ts"], {
    env: { ...process.env, DATA_DIR: dataDir, ...options.env },
    input: JSON.stringify(wanted),
    encoding: "utf8",
  });
  if (result.status !== 0)
    throw new Error(`could not create accounts:\n${result.stdout}${result.stderr}`);
  const created = JSON.parse(result.stdout.trim().split("\n").at(-1)!) as CreatedAccount[];
  return Object.fromEntries(
    wanted.map(({ name, email, role }) => {
      const account = created.find((c) => c.email === email);
      if (!account) throw new Error(`no password for ${email}`);
      const { password, authenticator, phone } = account;
      if (authenticator)
        addDevice(email, authenticator.secret, authenticator.usedStep, options.port ?? E2E_PORT);
      return [name, { role, email, password, ...(phone ? { phone } : {}) }];
    }),
  ) as Record<Name, Account>;
}
