import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { eq } from "drizzle-orm";
import pg from "pg";
import { openDatabase } from "../lib/db/client";
import { sessions, users } from "../lib/db/schema";
import { createAccounts } from "./support/accounts";
import { startAppServer, type AppServer, type DemoSignIn } from "./support/app-server";
import { freshCode, portOf } from "./support/authenticator";
import { signIn } from "./support/helpers";
import { E2E_PORT, mainDataDir } from "./support/state";

// This file runs its own server so it can stop it, open its database and start it again.
const PORT = E2E_PORT + 1;
// For the second start (E2E_PORT + 2 belongs to sign-ins.spec.ts, which may be running now).
const SECOND_PORT = E2E_PORT + 23;
const onPostgres = Boolean(process.env.DATABASE_URL);
let server: AppServer;
const run = String(Date.now() % 100_000).padStart(5, "0");
let accounts: Record<"revoked" | "other" | "stale", DemoSignIn>;

// A short step-up window, so the freshness rule can be seen without waiting ten minutes.
const STEP_UP_SECONDS = 6;
const serverEnv = { STEP_UP_MAX_AGE_MINUTES: String(STEP_UP_SECONDS / 60) };

test.beforeAll(async () => {
  // People of this file's own: on PostgreSQL the database is shared with the other files, which
  // may be signing the demo people in at this very moment.
  const dataDir = onPostgres ? mainDataDir() : mkdtempSync(path.join(tmpdir(), "factor-e2e-"));
  const created = createAccounts(
    [`sessions-revoked-${run}`, `sessions-other-${run}`, `sessions-stale-${run}`],
    dataDir,
    { port: PORT },
  );
  accounts = {
    revoked: created[`sessions-revoked-${run}`]!,
    other: created[`sessions-other-${run}`]!,
    stale: created[`sessions-stale-${run}`]!,
  };
  // On PostgreSQL this is a second instance of the same deployment, so it shares the main
  // server's secrets (docs: every instance needs the same AUTH_SECRET and SEALING_KEYS).
  server = await startAppServer({ port: PORT, dataDir, env: serverEnv });
});
test.afterAll(async () => {
  await server?.stop();
});
test.use({ baseURL: `http://localhost:${PORT}` });

/** Revokes every session of one account straight in the database, as an operator could. */
async function revokeInDatabase(email: string) {
  if (onPostgres) {
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    await client.query(
      "update sessions set revoked_at = now(), revoked_reason = 'operator' where user_id = (select id from users where lower(email) = lower($1)) and revoked_at is null",
      [email],
    );
    await client.end();
    return;
  }
  // PGlite allows one process: stop the server, change the data, start it again.
  const { dataDir } = server;
  await server.stop();
  const database = await openDatabase({ driver: "pglite", dataDir });
  const [user] = await database.db
    .select({ id: users.id })
    .from(users)
    .where(eq(users.email, email));
  await database.db
    .update(sessions)
    .set({ revokedAt: new Date(), revokedReason: "operator" })
    .where(eq(sessions.userId, user!.id));
  await database.close();
  const { releaseDataFolderLock } = await import("../lib/db/data-folder-lock");
  releaseDataFolderLock(dataDir);
  server = await startAppServer({ port: PORT, dataDir, env: serverEnv });
}

test("a session revoked in the database is signed out on its next request; others carry on", async ({
  browser,
}) => {
  const revokedContext = await browser.newContext();
  const otherContext = await browser.newContext();
  const revokedPage = await revokedContext.newPage();
  const otherPage = await otherContext.newPage();
  await signIn(revokedPage, accounts.revoked);
  await signIn(otherPage, accounts.other);

  await revokeInDatabase(accounts.revoked.email);

  await revokedPage.goto("/devices");
  await expect(revokedPage).toHaveURL(/\/signin\?callbackUrl=%2Fdevices$/);
  await expect(revokedPage.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
  await otherPage.goto("/devices");
  await expect(otherPage.getByRole("heading", { level: 1, name: "Devices" })).toBeVisible();
  await revokedContext.close();
  await otherContext.close();
});

test("a second start on the same data folder is refused with a clear message", async () => {
  if (onPostgres) {
    // On PostgreSQL the folder holds only secrets and instances share the database by design:
    // a second instance must start and serve rather than be refused.
    const second = await startAppServer({ port: SECOND_PORT, dataDir: server.dataDir });
    expect((await fetch(`http://localhost:${SECOND_PORT}/signin`)).status).toBe(200);
    await second.stop();
    return;
  }
  const second = spawnSync("npx", ["tsx", "scripts/start.ts"], {
    env: { ...process.env, PORT: String(SECOND_PORT), DATA_DIR: server.dataDir },
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(second.status).toBe(1);
  expect(second.stderr).toContain(`Factor is already running on the data folder ${server.dataDir}`);
  expect(second.stderr).toContain("Stop the other process first");
  // The first server is unharmed.
  expect((await fetch(`http://localhost:${PORT}/signin`)).status).toBe(200);
});

test("a security change after the freshness window asks to verify again, then comes back (R-A9.1)", async ({
  page,
}) => {
  const person = accounts.stale;
  await signIn(page, person);
  await expect(page.getByRole("heading", { level: 1, name: "Security info" })).toBeVisible();
  await page.waitForTimeout((STEP_UP_SECONDS + 1) * 1000);

  const item = page.getByRole("list", { name: "Sign-in methods" }).getByRole("listitem").first();
  await item.getByRole("button", { name: /^Delete Authenticator app/ }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();

  await expect(page.getByRole("heading", { level: 1, name: "Verify your identity" })).toBeVisible();
  await page
    .getByRole("textbox", { name: "Code" })
    .fill(await freshCode(person.email, 0, portOf(page)));
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Security info" })).toBeVisible();

  // Fresh now: the change itself is judged — and the only method cannot go while MFA is required.
  await item.getByRole("button", { name: /^Delete Authenticator app/ }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
  await expect(page.getByRole("main").getByRole("alert")).toHaveText(
    /can't delete your only sign-in method/,
  );
  await expect(
    page.getByRole("list", { name: "Sign-in methods" }).getByText(/^Authenticator app$/),
  ).toHaveCount(1);
});
