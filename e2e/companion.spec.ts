import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { createAccounts, type Account } from "./support/accounts";
import { startAppServer, type AppServer, type DemoSignIn } from "./support/app-server";
import {
  expectNoAccessibilityViolations,
  mainAlert,
  signIn,
  submitPassword,
} from "./support/helpers";
import {
  answerOnPhone,
  askForPush,
  checkForNotifications,
  openPairedPhone,
} from "./support/companion";
import { E2E_PORT, mainDataDir } from "./support/state";

// The companion authenticator (R-A6): one browser context is the person's computer, a second
// plays their phone. This file runs its own server with a short push lifetime, so an expired
// request shows without waiting two minutes. The first test pairs a phone through Security info;
// each later one has an account of its own whose phone was paired before the server started.
const PORT = E2E_PORT + 6;
const BASE_URL = `http://localhost:${PORT}`;
const PUSH_TTL_SECONDS = 10;
const onPostgres = Boolean(process.env.DATABASE_URL);
const run = String(Date.now() % 100_000).padStart(5, "0");
const PHONES = ["approve", "expire", "codes"] as const;
let server: AppServer;
/** Someone who pairs their phone in the first test. */
let account: DemoSignIn;
/** Someone with a paired phone, for each later test. */
let withPhone: Record<(typeof PHONES)[number], Account>;
/** Someone whose computer's browser also holds the app. */
let sharedBrowserAccount: Account;

test.beforeAll(async () => {
  // Accounts made with the operator command, then a server start: more than a test's worth.
  test.setTimeout(120_000);
  const dataDir = onPostgres ? mainDataDir() : mkdtempSync(path.join(tmpdir(), "factor-e2e-"));
  const created = createAccounts(
    [
      `companion-${run}`,
      ...PHONES.map((name) => ({ name: `companion-${name}-${run}`, phone: "Test phone" })),
      { name: `companion-shared-${run}`, phone: "This computer" },
    ],
    dataDir,
    { port: PORT },
  );
  account = created[`companion-${run}`]!;
  withPhone = Object.fromEntries(
    PHONES.map((name) => [name, created[`companion-${name}-${run}`]]),
  ) as typeof withPhone;
  sharedBrowserAccount = created[`companion-shared-${run}`]!;
  server = await startAppServer({
    port: PORT,
    dataDir,
    env: { PUSH_REQUEST_TTL_SECONDS: String(PUSH_TTL_SECONDS) },
  });
});
test.afterAll(async () => {
  await server?.stop();
});
test.use({ baseURL: BASE_URL });

const phoneContexts: BrowserContext[] = [];
test.afterAll(async () => {
  for (const context of phoneContexts) await context.close();
});

/** A phone: a browser context of its own, holding the account's paired phone if it has one. */
async function openPhone(browser: Browser, owner?: Account): Promise<Page> {
  const context = await browser.newContext({ baseURL: BASE_URL });
  phoneContexts.push(context);
  return owner ? openPairedPhone(context, owner.phone!) : context.newPage();
}

/** The code the phone shows now, once it is a different one from `not`. */
async function phoneCode(page: Page, not?: string): Promise<string> {
  const code = page.getByLabel("Verification code");
  await expect(code).toHaveText(/^\d{6}$/);
  if (not) await expect(code).not.toHaveText(not, { timeout: 35_000 });
  return (await code.textContent())!;
}

async function signOut(page: Page) {
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
}

test("pairs a phone from Security info through a one-time link (R-A6.5)", async ({
  page,
  browser,
}) => {
  await signIn(page, account);
  await page.getByRole("button", { name: "Add sign-in method" }).click();
  const dialog = page.getByRole("dialog");
  await dialog
    .getByRole("combobox", { name: "Which method would you like to add?" })
    .selectOption({ label: "Authenticator app (notifications)" });
  await dialog.getByRole("button", { name: "Add" }).click();
  await expect(
    page.getByRole("heading", { level: 1, name: "Set up the Authenticator app" }),
  ).toBeVisible();
  await expectNoAccessibilityViolations(page);
  await page.getByRole("button", { name: "Show QR code" }).click();
  await expect(page.getByRole("img", { name: "QR code" })).toBeVisible();
  await page.getByRole("button", { name: "Can't scan the image?" }).click();
  const link = (await page.getByLabel("Open this link on your phone").textContent())!;
  // The token rides in the fragment, never in a path or query a log would keep (R-A12.11).
  expect(link).toMatch(new RegExp(`^${BASE_URL}/authenticator/pair#[A-Za-z0-9_-]{43}$`));
  await expectNoAccessibilityViolations(page);

  const phonePage = await openPhone(browser);
  await phonePage.goto(link);
  await expect(phonePage.getByRole("heading", { level: 1, name: "Pair this phone" })).toBeVisible();
  await expect(phonePage).toHaveURL(`${BASE_URL}/authenticator/pair`);
  await expectNoAccessibilityViolations(phonePage);
  await phonePage.getByLabel("Device name").fill("Test phone");
  await phonePage.getByRole("button", { name: "Pair this phone" }).click();
  await expect(phonePage.getByRole("heading", { level: 1, name: "Authenticator" })).toBeVisible();
  const pairingCode = await phoneCode(phonePage);
  await expectNoAccessibilityViolations(phonePage);

  // The same link cannot pair a second phone.
  const other = await browser.newContext({ baseURL: BASE_URL });
  const otherPage = await other.newPage();
  await otherPage.goto(link);
  await otherPage.getByRole("button", { name: "Pair this phone" }).click();
  await expect(otherPage.getByRole("main").getByRole("alert")).toContainText(
    "This pairing link can't be used",
  );
  await other.close();

  // The browser noticed by itself; the phone's code binds it.
  await expect(page.getByRole("heading", { name: "Enter code" })).toBeVisible();
  await page.getByRole("textbox", { name: "Code" }).fill(pairingCode);
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Success!" })).toBeVisible();
  await page.getByRole("button", { name: "Done" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Security info" })).toBeVisible();
  const methods = page.getByRole("list", { name: "Sign-in methods" });
  const paired = methods
    .getByRole("listitem")
    .filter({ has: page.getByText("Test phone", { exact: true }) });
  await expect(paired).toContainText("Authenticator app");
  await signOut(page);
});

test("a wrong number denies the request; the right one signs in by itself (R-A6.1)", async ({
  page,
  browser,
}) => {
  const account = withPhone.approve;
  const phonePage = await openPhone(browser, account);
  const shown = await askForPush(page, account);
  await expectNoAccessibilityViolations(page);

  const wrong = shown === "42" ? "24" : "42";
  await phonePage.goto("/authenticator");
  await checkForNotifications(phonePage);
  await answerOnPhone(phonePage, { approve: wrong });
  await expect(phonePage.getByRole("main").getByRole("alert")).toContainText(
    "That number didn't match",
  );
  await expectNoAccessibilityViolations(phonePage);
  await expect(mainAlert(page)).toContainText("The request was denied");
  await expect(
    page.getByRole("heading", { level: 1, name: "Approve sign in request" }),
  ).toBeVisible();
  await expect(page.getByRole("button", { name: "Sign out", exact: true })).toHaveCount(0);

  await phonePage.getByRole("button", { name: "OK" }).click();
  await page.getByRole("button", { name: "Send another request" }).click();
  const number = page.getByLabel("Number to enter");
  await expect(number).toHaveText(/^\d{2}$/);
  await checkForNotifications(phonePage);
  await answerOnPhone(phonePage, { approve: (await number.textContent())! });
  await expect(
    phonePage.getByRole("main").getByRole("status").filter({ hasText: "Approved" }),
  ).toBeVisible();

  // The waiting page moves on without a click.
  await expect(page.getByRole("heading", { level: 1, name: "Stay signed in?" })).toBeVisible();
  await page.getByRole("button", { name: "No" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Security info" })).toBeVisible();
  await signOut(page);
});

test("an unanswered request expires and is refused (R-A6.2)", async ({ page, browser }) => {
  const account = withPhone.expire;
  const phonePage = await openPhone(browser, account);
  await askForPush(page, account);
  await expect(mainAlert(page)).toContainText("The request wasn't answered in time", {
    timeout: (PUSH_TTL_SECONDS + 10) * 1000,
  });
  await phonePage.goto("/authenticator");
  await phonePage.getByRole("button", { name: "Check for notifications" }).click();
  await expect(phonePage.getByText("No requests waiting.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Sign out", exact: true })).toHaveCount(0);
});

test("the codes the phone shows pass 'Use a verification code'", async ({ page, browser }) => {
  const account = withPhone.codes;
  const phonePage = await openPhone(browser, account);
  await phonePage.goto("/authenticator");
  // Each time-step is accepted once: wait for a step after the one pairing used (R-A4.3).
  const code = await phoneCode(phonePage, account.phone!.confirmedWith);
  await page.goto("/signin");
  await submitPassword(page, account.email, account.password);
  await expect(page.getByRole("heading", { level: 1, name: "Enter code" })).toBeVisible();
  await page.getByRole("textbox", { name: "Code" }).fill(code);
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Stay signed in?" })).toBeVisible();
});

test("signing out of the portal leaves the app in the same browser paired (R-A12.10)", async ({
  page,
}) => {
  // One browser: the portal in one tab, the Authenticator app paired in another, then closed
  // (an open app would write its key back from memory).
  await signIn(page, sharedBrowserAccount);
  await (await openPairedPhone(page.context(), sharedBrowserAccount.phone!)).close();

  await signOut(page);
  // What the portal kept is gone: its session and sign-in cookies, and the signed-in page is
  // not there to go back to.
  const names = (await page.context().cookies()).map((cookie) => cookie.name);
  expect(names.filter((name) => /factor\.(session|signin|phone-signin)$/.test(name))).toEqual([]);
  await page.goBack();
  await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();

  // The app still holds its keys: it shows its codes and answers a sign-in request.
  const app = await page.context().newPage();
  await app.goto("/authenticator");
  await expect(app.getByText("This computer")).toBeVisible();
  await expect(app.getByLabel("Verification code")).toHaveText(/^\d{6}$/);
  await expect(app.getByText(/isn.t paired yet/)).toHaveCount(0);
  const shown = await askForPush(page, sharedBrowserAccount);
  await checkForNotifications(app);
  const { result } = await answerOnPhone(app, { approve: shown });
  expect(result).toBe("approved");
  await expect(page.getByRole("heading", { level: 1, name: "Stay signed in?" })).toBeVisible();
});
