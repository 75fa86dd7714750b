import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { createAccount } from "./support/accounts";
import { startAppServer, type AppServer, type DemoSignIn } from "./support/app-server";
import { signIn } from "./support/helpers";
import { E2E_PORT, mainDataDir } from "./support/state";

// The idle limit (R-A12.5) counts only what the person does. This file runs its own server with
// a 15-second idle limit, so an unattended page can outlive it without waiting half an hour.
const PORT = E2E_PORT + 14;
const IDLE_SECONDS = 15;
const onPostgres = Boolean(process.env.DATABASE_URL);
let server: AppServer;
let account: DemoSignIn;

test.beforeAll(async () => {
  // On PostgreSQL this is a second instance of the same deployment: same database and secrets.
  const dataDir = onPostgres ? mainDataDir() : mkdtempSync(path.join(tmpdir(), "factor-e2e-"));
  account = createAccount(`idle-${PORT}`, dataDir);
  server = await startAppServer({
    port: PORT,
    dataDir,
    env: { SESSION_IDLE_MINUTES: String(IDLE_SECONDS / 60) },
  });
});
test.afterAll(async () => {
  await server?.stop();
});
test.use({ baseURL: `http://localhost:${PORT}` });

test("My sign-ins left open does not keep an unattended session signed in (R-A12.5)", async ({
  page,
}) => {
  await signIn(page, account);
  // The page's clock is the browser's own: moving it on makes the list refresh as it would
  // every 30 seconds, without waiting 30 seconds for each refresh.
  await page.clock.install();
  await page.getByRole("link", { name: "My sign-ins" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "My sign-ins" })).toBeVisible();
  // The last thing the person does; from here nobody touches the computer.
  const lastActivity = Date.now();

  const refreshes: number[] = [];
  while (Date.now() - lastActivity < (IDLE_SECONDS + 3) * 1000) {
    const refreshed = page.waitForResponse(
      (response) => new URL(response.url()).pathname === "/sign-ins/events",
    );
    await page.clock.fastForward("00:30");
    refreshes.push((await refreshed).status());
    // About one refresh a second: the page asks far more often than the idle limit.
    await page.waitForTimeout(1000);
  }
  // The refreshes were real, answered while the session was live, and refused once it idled out.
  expect(refreshes[0]).toBe(200);
  expect(refreshes.at(-1)).toBe(401);

  // Whatever the person does next lands on the sign-in page.
  await page.getByRole("link", { name: "Security info" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
  await expect(page).toHaveURL(/\/signin\?callbackUrl=%2Fsecurity-info/);
});
