import { randomInt } from "node:crypto";
import { expect, test, type Page } from "@playwright/test";
import pg from "pg";
import { createAccount } from "./support/accounts";
import { startAppServer, type AppServer } from "./support/app-server";
import { freshCode } from "./support/authenticator";
import { mainAlert, passSecondStep, submitPassword } from "./support/helpers";
import { E2E_PORT, mainDataDir } from "./support/state";

// Several instances on one PostgreSQL behave as one deployment (issue #7): a sign-in begun on one
// finishes on the other, its session works on both, and failures counted by either lock the
// account on both (R-A11.3). Two instances of our own, behind a "proxy" (the test) that says which
// address each request comes from, so these failures never count against the address the other
// specs share.

// Runs on the PostgreSQL lane only: the embedded database is one process (issue #7).
test.skip(!process.env.DATABASE_URL, "needs PostgreSQL (issue #7)");
test.describe.configure({ timeout: 180_000 });

const PORTS = [E2E_PORT + 8, E2E_PORT + 9] as const;
let instances: AppServer[] = [];
const at = (index: 0 | 1, path: string) => `http://localhost:${PORTS[index]}${path}`;

test.beforeAll(async () => {
  // One deployment: the same database and the same secrets (the main server's data folder).
  const env = { TRUSTED_PROXIES: "127.0.0.1,::1" };
  instances = await Promise.all(
    PORTS.map((port) => startAppServer({ port, dataDir: mainDataDir(), env })),
  );
});
test.afterAll(async () => {
  await Promise.all(instances.map((instance) => instance.stop()));
});

/** A new account for one test, and an address of its own to come from. */
function newPerson(name: string) {
  const account = createAccount(`${name}-${Date.now()}`, mainDataDir());
  return { account, address: `81.2.69.${randomInt(1, 255)}` };
}

async function query<T extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<T[]> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** Goes on with the same page on the other instance (cookies are per host, not per port). */
async function moveTo(page: Page, index: 0 | 1) {
  const url = new URL(page.url());
  await page.goto(at(index, url.pathname + url.search));
}

test("a sign-in begun on one instance finishes on the other, and its session works on both", async ({
  browser,
}) => {
  const { account, address } = newPerson("scale-out");
  const context = await browser.newContext({ extraHTTPHeaders: { "X-Forwarded-For": address } });
  const page = await context.newPage();

  // First sign-in: the password on the first instance, registration and "Stay signed in?" on the
  // second.
  await page.goto(at(0, "/signin"));
  await submitPassword(page, account.email, account.password);
  await expect(
    page.getByRole("heading", { level: 1, name: "More information required" }),
  ).toBeVisible();
  await moveTo(page, 1);
  await passSecondStep(page, account.email);
  await expect(page.getByRole("heading", { level: 1, name: "Stay signed in?" })).toBeVisible();
  expect(new URL(page.url()).port).toBe(String(PORTS[1]));
  await page.getByRole("button", { name: "No" }).click();
  await expect(page.getByRole("button", { name: "Sign out", exact: true })).toBeVisible();

  // The session made by the second instance is honoured by the first.
  await page.goto(at(0, "/security-info"));
  await expect(page.getByRole("heading", { level: 1, name: "Security info" })).toBeVisible();
  await expect(
    page.getByRole("list", { name: "Sign-in methods" }).getByText(/^Authenticator app$/),
  ).toHaveCount(1);

  // Sign out on the first; the second sees it at once.
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
  await page.goto(at(1, "/security-info"));
  await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();

  // Next sign-in the other way round: password on the second, the code on the first.
  await page.goto(at(1, "/signin"));
  await submitPassword(page, account.email, account.password);
  await expect(page.getByRole("heading", { level: 1, name: "Enter code" })).toBeVisible();
  await moveTo(page, 0);
  await expect(page.getByRole("heading", { level: 1, name: "Enter code" })).toBeVisible();
  await page.getByRole("textbox", { name: "Code" }).fill(await freshCode(account.email));
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Stay signed in?" })).toBeVisible();
  await page.getByRole("button", { name: "No" }).click();
  await expect(page.getByRole("button", { name: "Sign out", exact: true })).toBeVisible();
  expect(new URL(page.url()).port).toBe(String(PORTS[0]));

  // Both sign-ins are recorded once each, finished, with the address the proxy gave.
  const events = await query<{ result: string; ip: string }>(
    "select result, ip from sign_in_events where user_id = (select id from users where lower(email) = lower($1)) order by at",
    [account.email],
  );
  expect(events).toEqual([
    { result: "success", ip: address },
    { result: "success", ip: address },
  ]);
  await context.close();
});

test("wrong passwords on either instance add up and lock the account on both (R-A11.3)", async ({
  browser,
}) => {
  const { account, address } = newPerson("scale-out-lock");
  const context = await browser.newContext({ extraHTTPHeaders: { "X-Forwarded-For": address } });
  const page = await context.newPage();

  // Ten different wrong passwords (a repeated one is not counted again), alternating instances.
  for (let i = 0; i < 10; i++) {
    const index = (i % 2) as 0 | 1;
    await page.goto(at(index, "/signin"));
    await submitPassword(page, account.email, `wrong-password-${i}`);
    await expect(mainAlert(page)).toHaveText("Your account or password is incorrect.");
  }

  // Locked on both: the right password gets the same answer as a wrong one.
  for (const index of [0, 1] as const) {
    await page.goto(at(index, "/signin"));
    await submitPassword(page, account.email, account.password);
    await expect(mainAlert(page)).toHaveText("Your account or password is incorrect.");
    await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
  }

  const [throttle] = await query<{ failures: number; locked: boolean }>(
    "select failures, locked_until > now() as locked from auth_throttles where scope = 'password:account' and key = lower($1)",
    [account.email],
  );
  expect(throttle).toEqual({ failures: 10, locked: true });
  const events = await query<{ reason: string; count: number }>(
    "select reason, count(*)::int as count from sign_in_events where user_id = (select id from users where lower(email) = lower($1)) group by reason order by reason",
    [account.email],
  );
  expect(events).toEqual([
    { reason: "locked", count: 2 },
    { reason: "wrong_password", count: 10 },
  ]);
  // No session was ever made for the account.
  const sessions = await query<{ count: number }>(
    "select count(*)::int as count from sessions where user_id = (select id from users where lower(email) = lower($1))",
    [account.email],
  );
  expect(sessions).toEqual([{ count: 0 }]);
  await context.close();
});
