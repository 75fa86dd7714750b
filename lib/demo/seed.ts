import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { verifyPassword } from "@/lib/security/password";
import { createUser, countUsers, emailMatches, type Role } from "@/lib/auth/users";
import type { Db } from "@/lib/db/client";
import { users } from "@/lib/db/schema";

type DemoAccount = { role: Role; displayName: string; email: string; mfaRequired: boolean };

/** The demo organisation: a student and a staff member who must set up MFA, an agent, an admin. */
export const DEMO_ACCOUNTS: readonly DemoAccount[] = [
  { role: "user", displayName: "Alex Morgan", email: "alex.morgan@example.edu", mfaRequired: true },
  { role: "user", displayName: "Sam Okafor", email: "sam.okafor@example.edu", mfaRequired: true },
  {
    role: "helpdesk",
    displayName: "Harper Lee",
    email: "harper.lee@example.edu",
    mfaRequired: true,
  },
  {
    role: "admin",
    displayName: "Ada Lovelace",
    email: "ada.lovelace@example.edu",
    mfaRequired: true,
  },
];

export type DemoSignIn = { role: Role; email: string; password: string };

const demoFile = (dataDir: string) => path.join(dataDir, "demo-sign-ins.json");

/**
 * Creates the demo accounts with fresh random passwords. The passwords are kept (mode 0600) in the
 * data folder only so later starts can print them again while they are unchanged.
 */
export async function seedDemo(db: Db, dataDir: string): Promise<DemoSignIn[]> {
  const created: DemoSignIn[] = [];
  for (const account of DEMO_ACCOUNTS) {
    // Looked up first so that a restart does not hash a password it will throw away.
    const [existing] = await db
      .select({ id: users.id })
      .from(users)
      .where(emailMatches(account.email));
    if (existing) continue;
    const result = await createUser(db, account);
    if (result.ok)
      created.push({ role: account.role, email: account.email, password: result.password });
  }
  const kept = [
    ...readDemoFile(dataDir).filter((d) => !created.some((c) => c.email === d.email)),
    ...created,
  ];
  // On PostgreSQL nothing else creates the data folder; the demo file still lives there.
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // Written aside and renamed into place: another instance starting on the same folder reads
  // the old file or the new one, never half of one.
  const written = `${demoFile(dataDir)}.${process.pid}`;
  writeFileSync(written, JSON.stringify(kept, null, 2), { mode: 0o600 });
  renameSync(written, demoFile(dataDir));
  return created;
}

function readDemoFile(dataDir: string): DemoSignIn[] {
  const file = demoFile(dataDir);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as DemoSignIn[]) : [];
}

/** The demo sign-ins whose passwords still work; changed ones are never printed again. */
export async function unchangedDemoSignIns(db: Db, dataDir: string): Promise<DemoSignIn[]> {
  const still: DemoSignIn[] = [];
  for (const demo of readDemoFile(dataDir)) {
    const [row] = await db
      .select({ passwordHash: users.passwordHash })
      .from(users)
      .where(emailMatches(demo.email));
    if (row?.passwordHash && (await verifyPassword(row.passwordHash, demo.password)))
      still.push(demo);
  }
  return still;
}

/**
 * Seeds on the first start of an empty embedded database, or whenever SEED_DEMO=true; never
 * otherwise. Returns the demo sign-ins to print.
 */
export async function prepareDemo(
  db: Db,
  options: { dataDir: string; embedded: boolean; seed: "auto" | "true" | "false" },
): Promise<DemoSignIn[]> {
  const wanted =
    options.seed === "true" ||
    (options.seed === "auto" && options.embedded && (await countUsers(db)) === 0);
  if (wanted) await seedDemo(db, options.dataDir);
  return unchangedDemoSignIns(db, options.dataDir);
}

/** Formats demo sign-ins one a line, as `  <role>  <email>  <password>`. */
export function formatDemoSignIns(demos: DemoSignIn[]): string {
  return demos.map((d) => `  ${d.role}  ${d.email}  ${d.password}`).join("\n");
}
