import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { DemoSignIn } from "./app-server";

export const E2E_PORT = Number(process.env.E2E_PORT ?? 3211);
export const STATE_FILE = path.join(tmpdir(), `factor-e2e-${E2E_PORT}.json`);

/** The demo sign-ins the server printed at start-up. */
export function demoSignIns(): DemoSignIn[] {
  return (JSON.parse(readFileSync(STATE_FILE, "utf8")) as { demo: DemoSignIn[] }).demo;
}

/** One demo account by what it is for. */
export function demoAccount(which: "student" | "staff" | "helpdesk" | "admin"): DemoSignIn {
  const demo = demoSignIns();
  const byRole = (role: DemoSignIn["role"]) => demo.filter((d) => d.role === role);
  const account = {
    student: byRole("user")[0],
    staff: byRole("user")[1],
    helpdesk: byRole("helpdesk")[0],
    admin: byRole("admin")[0],
  }[which];
  if (!account) throw new Error(`no demo ${which} account`);
  return account;
}

/** Accounts created for single tests, so one test's lockouts never touch another's. */
export const TESTER_NAMES = [
  "replay",
  "throttle",
  "recovery",
  "devices",
  "everywhere",
  "halfway",
  "remember",
  "sign-ins",
  "secured",
  "device-list",
  "help-request",
  "stale-step-up",
  "outbox",
  "tap-student",
  "token-holder",
  "csv-formula",
  "admin-reregister",
  "admin-reset",
  "admin-probe",
  "passkey",
  "passkey-wizard",
  "forget-one",
  "forget-all",
  "forget-by-session",
  "forget-by-helpdesk",
  "reset-remembered",
  "self-reset",
  "service-user",
  "alternate-email",
] as const;

/** Testers who start with an authenticator app, as if they had set one up before. */
export const TESTERS_WITH_APP: readonly (typeof TESTER_NAMES)[number][] = ["service-user"];

/** Display names other than "Test <name>", for tests about what a name may hold. */
export const TESTER_DISPLAY_NAMES: Partial<Record<(typeof TESTER_NAMES)[number], string>> = {
  // A spreadsheet would run this as a formula if an export let it through (R-A14.3).
  "csv-formula": '=HYPERLINK("http://evil.example","Click me")',
};

/** The account made for one test. */
export function tester(name: (typeof TESTER_NAMES)[number]): DemoSignIn {
  const { testers } = JSON.parse(readFileSync(STATE_FILE, "utf8")) as { testers: DemoSignIn[] };
  const account = testers.find((t) => t.email === `${name}@example.edu`);
  if (!account) throw new Error(`no tester ${name}`);
  return account;
}

/** The main server's data folder: on PostgreSQL other instances share its secrets. */
export function mainDataDir(): string {
  return (JSON.parse(readFileSync(STATE_FILE, "utf8")) as { dataDir: string }).dataDir;
}
