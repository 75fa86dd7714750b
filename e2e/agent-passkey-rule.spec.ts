import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { createAccounts, type Account } from "./support/accounts";
import { startAppServer, type AppServer, type DemoSignIn } from "./support/app-server";
import { freshCode, portOf } from "./support/authenticator";
import {
  answerOnPhone,
  askForPush,
  checkForNotifications,
  openPairedPhone,
} from "./support/companion";
import { createOwnDatabase } from "./support/database";
import { expectNoAccessibilityViolations, signIn, submitPassword } from "./support/helpers";
import { addVirtualAuthenticator } from "./support/passkeys";
import { E2E_PORT } from "./support/state";

// "Helpdesk and admin accounts must use a passkey for the console" (Settings, R-A16.1): an agent
// without a passkey is sent to add one, one whose session was proven another way proves the
// passkey first, and plain users see no difference. The setting is organisation-wide, so this
// file runs its own server on a database of its own — a fresh data folder, and on PostgreSQL a
// database made for this run and dropped after it — and no other file's server ever sees it.
const PORT = E2E_PORT + 13;
const BASE_URL = `http://localhost:${PORT}`;
const run = String(Date.now() % 100_000).padStart(5, "0");
const RULE = "Helpdesk and admin accounts must use a passkey for the console";
const REGISTER_NOTICE =
  "Your organisation requires helpdesk and admin accounts to use a passkey. Add one with “Add sign-in method”, then open the console again.";
let server: AppServer;
let ownDatabase: Awaited<ReturnType<typeof createOwnDatabase>>;
let admin: DemoSignIn;
/** Has an authenticator app and a paired phone from the start, and no passkey. */
let agent: Account;
let person: DemoSignIn;

// One organisation's story: each test starts from the rule, passkeys and sessions the one before
// left (the rule on, the agent's passkey added, then the rule off again).
test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "factor-e2e-"));
  ownDatabase = await createOwnDatabase(`factor_e2e_passkey_rule_${run}`);
  const env: Record<string, string> = ownDatabase ? { DATABASE_URL: ownDatabase.url } : {};
  const created = createAccounts(
    [
      { name: `rule-admin-${run}`, role: "admin" },
      { name: `rule-agent-${run}`, role: "helpdesk", phone: "Desk phone" },
      `rule-person-${run}`,
    ],
    dataDir,
    { env, port: PORT },
  );
  admin = created[`rule-admin-${run}`]!;
  agent = created[`rule-agent-${run}`]!;
  person = created[`rule-person-${run}`]!;
  server = await startAppServer({ port: PORT, dataDir, env });
});
test.afterAll(async () => {
  await server?.stop();
  // The rule lived only in this database: it goes with it, whatever the tests left behind.
  await ownDatabase?.drop();
});
test.use({ baseURL: BASE_URL });

const contexts: BrowserContext[] = [];
test.afterAll(async () => {
  for (const context of contexts) await context.close();
});

/** One browser per person, kept across the tests (each holds its own virtual authenticator). */
const pages = new Map<string, Page>();
async function browserOf(browser: Browser, account: DemoSignIn): Promise<Page> {
  let page = pages.get(account.email);
  if (!page) {
    const context = await browser.newContext({ baseURL: BASE_URL });
    contexts.push(context);
    page = await context.newPage();
    pages.set(account.email, page);
  }
  return page;
}

async function signOut(page: Page) {
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
}

async function answerStaySignedIn(page: Page) {
  await expect(page.getByRole("heading", { level: 1, name: "Stay signed in?" })).toBeVisible();
  await page.getByRole("button", { name: "No" }).click();
  await expect(page.getByRole("button", { name: "Sign out", exact: true })).toBeVisible();
}

/** The console, on the page asked for: its overview unless another was. */
async function expectConsole(
  page: Page,
  { path, heading } = { path: "/admin", heading: "Overview" },
) {
  await expect(page).toHaveURL(`${BASE_URL}${path}`);
  await expect(page.getByRole("heading", { level: 1, name: heading })).toBeVisible();
}

/** Sent to Security info to add a passkey, told why. */
async function expectSentToAddPasskey(page: Page) {
  await expect(page).toHaveURL(`${BASE_URL}/security-info?outcome=passkey-required`);
  await expect(page.getByRole("heading", { level: 1, name: "Security info" })).toBeVisible();
  await expect(page.getByRole("main").getByRole("status")).toHaveText(REGISTER_NOTICE);
}

/** Asked to prove the passkey: a step-up that offers the passkey, on its way back to `path`. */
async function expectPasskeyCheck(page: Page) {
  await expect(page).toHaveURL(`${BASE_URL}/signin/verify?option=passkey`);
  await expect(page.getByRole("heading", { level: 1, name: "Verify your identity" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Use a passkey" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Sign out", exact: true })).toHaveCount(0);
}

/** "Add sign-in method" → Passkey, confirming it is them first when the session is not fresh. */
async function addPasskey(page: Page, account: DemoSignIn, name: string) {
  const start = async () => {
    await page.getByRole("button", { name: "Add sign-in method" }).click();
    await page
      .getByRole("combobox", { name: "Which method would you like to add?" })
      .selectOption({ label: "Passkey" });
    await page.getByRole("button", { name: "Add", exact: true }).click();
  };
  const create = page.getByRole("heading", { level: 1, name: "Create a passkey" });
  const verify = page.getByRole("heading", { level: 1, name: "Verify your identity" });
  await start();
  await expect(create.or(verify)).toBeVisible();
  if (await verify.isVisible()) {
    await page
      .getByRole("textbox", { name: "Code" })
      .fill(await freshCode(account.email, 0, portOf(page)));
    await page.getByRole("button", { name: "Verify" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Security info" })).toBeVisible();
    await start();
  }
  await expect(create).toBeVisible();
  await page.getByRole("textbox", { name: "Passkey name" }).fill(name);
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Success!" })).toBeVisible();
  await page.getByRole("button", { name: "Done" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Security info" })).toBeVisible();
  await expect(
    page.getByRole("button", { name: `Delete Passkey ${name}`, exact: true }),
  ).toBeVisible();
}

/** Saves the settings form with the rule on or off, and a reason. */
async function setRule(page: Page, on: boolean, reason: string) {
  await expect(page.getByRole("heading", { level: 1, name: "Settings" })).toBeVisible();
  await page.getByRole("checkbox", { name: RULE }).setChecked(on);
  await page.getByRole("textbox", { name: "Reason" }).fill(reason);
  await page.getByRole("button", { name: "Save settings" }).click();
}

test("an administrator requires passkeys for the console; without one they are sent to add one", async ({
  browser,
}) => {
  const page = await browserOf(browser, admin);
  await signIn(page, admin);
  await page.goto("/admin");
  await expectConsole(page);

  await page.goto("/admin/settings");
  await expect(page.getByRole("checkbox", { name: RULE })).not.toBeChecked();
  await expectNoAccessibilityViolations(page);

  // Not while passkeys may not be added: nobody without one could ever open the console again.
  const mayAdd = page.getByRole("group", { name: "Sign-in methods people may add" });
  await mayAdd.getByRole("checkbox", { name: "Passkey", exact: true }).uncheck();
  await setRule(page, true, "Phishing-resistant sign-in for the console");
  await expect(page.getByRole("main").getByRole("alert")).toHaveText(
    "The console can't require passkeys while people may not add them. Allow passkeys, or leave the passkey rule off. Nothing was saved.",
  );
  await expectNoAccessibilityViolations(page);
  await page.reload();
  await expect(page.getByRole("checkbox", { name: RULE })).not.toBeChecked();
  await expect(mayAdd.getByRole("checkbox", { name: "Passkey", exact: true })).toBeChecked();

  // Saved, it holds the administrator too: with no passkey yet, they are sent to add one.
  await setRule(page, true, "Phishing-resistant sign-in for the console");
  await expectSentToAddPasskey(page);
  await expectNoAccessibilityViolations(page);
  await page.goto("/admin/settings");
  await expectSentToAddPasskey(page);
});

test("a helpdesk agent who signed in without a passkey is kept out of the console and told to add one", async ({
  browser,
}) => {
  const page = await browserOf(browser, agent);
  await signIn(page, agent); // a code from the authenticator app: a second factor, but no passkey
  for (const where of ["/admin", "/admin/users?q=rule", "/admin/cases", "/admin/audit"]) {
    await page.goto(where);
    await expectSentToAddPasskey(page);
  }
  await expectNoAccessibilityViolations(page);
});

test("the agent adds a passkey, proves it, and the console opens", async ({ browser }) => {
  const page = await browserOf(browser, agent);
  const { credentials } = await addVirtualAuthenticator(page);
  await page.goto("/security-info");
  await addPasskey(page, agent, "Desk laptop");
  expect(await credentials()).toHaveLength(1);

  // Registered, but this session was proven with a code: the console asks for the passkey.
  await page.goto("/admin");
  await expectPasskeyCheck(page);
  await expect(page.getByRole("main")).toContainText(
    "For your security, confirm it is you before changing your security info.",
  );
  await expectNoAccessibilityViolations(page);
  await page.getByRole("button", { name: "Use a passkey" }).click();
  await expectConsole(page);
  await expectNoAccessibilityViolations(page);
  await page.goto("/admin/cases");
  await expect(page.getByRole("heading", { level: 1, name: "Cases" })).toBeVisible();
});

test("a code or an approval on a paired phone does not stand in for the passkey", async ({
  browser,
}) => {
  const page = await browserOf(browser, agent);
  await signOut(page);

  // Password and a code from the authenticator app.
  await signIn(page, agent);
  await page.goto("/admin/users");
  await expectPasskeyCheck(page);

  // Password and a number-matching approval on the phone.
  const phoneContext = await browser.newContext({ baseURL: BASE_URL });
  contexts.push(phoneContext);
  const phone = await openPairedPhone(phoneContext, agent.phone!);
  await page.goto("/security-info");
  await signOut(page);
  const number = await askForPush(page, agent);
  await checkForNotifications(phone);
  expect(await answerOnPhone(phone, { approve: number })).toMatchObject({ result: "approved" });
  await answerStaySignedIn(page);
  await page.goto("/admin/users");
  await expectPasskeyCheck(page);

  // Nor at the passkey check itself: "Sign in another way" → the phone leads back to it.
  await page.getByRole("link", { name: "Sign in another way" }).click();
  await page.getByRole("button", { name: "Approve a request on my Authenticator app" }).click();
  const again = page.getByLabel("Number to enter");
  await expect(again).toHaveText(/^\d{2}$/);
  await checkForNotifications(phone);
  expect(await answerOnPhone(phone, { approve: (await again.textContent())! })).toMatchObject({
    result: "approved",
  });
  await expectPasskeyCheck(page);

  await page.getByRole("button", { name: "Use a passkey" }).click();
  await expectConsole(page, { path: "/admin/users", heading: "Users" });
});

test("signing in with the passkey opens the console at once, with or without the password", async ({
  browser,
}) => {
  const page = await browserOf(browser, agent);
  await signOut(page);
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await answerStaySignedIn(page);
  await page.goto("/admin");
  await expectConsole(page);

  await signOut(page);
  await submitPassword(page, agent.email, agent.password);
  await expect(page.getByRole("heading", { level: 1, name: "Enter code" })).toBeVisible();
  await page.getByRole("link", { name: "Sign in another way" }).click();
  await page.getByRole("button", { name: "Use a security key or passkey" }).click();
  await page.getByRole("button", { name: "Use a passkey" }).click();
  await answerStaySignedIn(page);
  await page.goto("/admin/cases");
  await expect(page.getByRole("heading", { level: 1, name: "Cases" })).toBeVisible();
});

test("a plain user is not affected: signs in without a passkey, no notice, and the console stays closed as before", async ({
  browser,
}) => {
  const page = await browserOf(browser, person);
  await signIn(page, person);
  await expect(page.getByRole("heading", { level: 1, name: "Security info" })).toBeVisible();
  await expect(page.getByText(REGISTER_NOTICE)).toHaveCount(0);
  await expectNoAccessibilityViolations(page);

  const response = await page.goto("/admin");
  expect(response?.status()).toBe(404);
  await expect(page).toHaveURL(`${BASE_URL}/admin`);
  // The rule's own check is the console's too: no step-up starts for a plain user.
  const check = await page.request.get("/admin/passkey-check", { maxRedirects: 0 });
  expect(check.status()).toBe(404);

  // Signing in again still takes the password and a code, nothing more.
  await page.goto("/security-info");
  await signOut(page);
  await signIn(page, person);
  await expect(page.getByRole("heading", { level: 1, name: "Security info" })).toBeVisible();
});

test("the administrator adds a passkey, proves it and turns the rule off; agents get in without one again", async ({
  browser,
}) => {
  const page = await browserOf(browser, admin);
  await addVirtualAuthenticator(page);
  await page.goto("/admin");
  await expectSentToAddPasskey(page);
  await addPasskey(page, admin, "Admin laptop");

  await page.goto("/admin/settings");
  await expectPasskeyCheck(page);
  await page.getByRole("button", { name: "Use a passkey" }).click();
  await expect(page).toHaveURL(`${BASE_URL}/admin/settings`);
  await expect(page.getByRole("checkbox", { name: RULE })).toBeChecked();
  await setRule(page, false, "Back to the usual console sign-in");
  await expect(page.getByRole("main").getByRole("status")).toHaveText("Saved 1 setting.");
  await page.reload();
  await expect(page.getByRole("checkbox", { name: RULE })).not.toBeChecked();

  // Both changes are on the record with their reasons.
  await page.goto("/admin/audit?action=admin.settings.changed");
  const entries = page.getByRole("table", { name: "Audit entries" });
  await expect(entries).toContainText("Phishing-resistant sign-in for the console");
  await expect(entries).toContainText("Back to the usual console sign-in");
  await expectNoAccessibilityViolations(page);

  // The agent, with a password and a code only, is let in again.
  const desk = await browserOf(browser, agent);
  await signOut(desk);
  await signIn(desk, agent);
  await desk.goto("/admin");
  await expectConsole(desk);
});
