import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { createAccounts, type Account } from "./support/accounts";
import { startAppServer, type AppServer } from "./support/app-server";
import { expectNoAccessibilityViolations } from "./support/helpers";
import { openPairedPhone } from "./support/companion";
import { E2E_PORT, mainDataDir } from "./support/state";

// Phone sign-in (issue #8 item 4): a second browser context plays the phone, paired before the
// server starts. It turns phone sign-in on behind an app PIN, and then approves a sign-in that
// never asked for the password. Turning it on needs the password, and the PIN is checked by the
// server, never on the phone: a wrong one is refused with the attempts left and the computer goes
// on waiting. This file runs its own server, like the companion authenticator's.
const PORT = E2E_PORT + 11;
const BASE_URL = `http://localhost:${PORT}`;
const onPostgres = Boolean(process.env.DATABASE_URL);
const run = String(Date.now() % 100_000).padStart(5, "0");
const APP_PIN = "482913";
const NEW_APP_PIN = "5719304";
let server: AppServer;
let account: Account;

// One phone's story: the PIN chosen first is changed next, the sign-in proves the change (old
// PIN refused, new accepted), and the last test turns off what the first turned on.
test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  const dataDir = onPostgres ? mainDataDir() : mkdtempSync(path.join(tmpdir(), "factor-e2e-"));
  const name = `phone-sign-in-${run}`;
  account = createAccounts([{ name, phone: "Test phone" }], dataDir, { port: PORT })[name]!;
  server = await startAppServer({ port: PORT, dataDir });
});
test.afterAll(async () => {
  await server?.stop();
});
test.use({ baseURL: BASE_URL });

let phoneContext: BrowserContext;
let phone: Page;

async function openPhone(browser: Browser): Promise<Page> {
  phoneContext ??= await browser.newContext({ baseURL: BASE_URL });
  phone ??= await openPairedPhone(phoneContext, account.phone!);
  return phone;
}

test.afterAll(async () => {
  await phoneContext?.close();
});

async function signOut(page: Page) {
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
}

/** On /signin: only the email, then "Approve a request on my Authenticator app". */
async function askForPhoneSignIn(page: Page, email: string): Promise<string> {
  await page.goto("/signin");
  await page.getByRole("textbox", { name: "Email" }).fill(email);
  await page.getByRole("button", { name: "Approve a request on my Authenticator app" }).click();
  await expect(
    page.getByRole("heading", { level: 1, name: "Approve sign in request" }),
  ).toBeVisible();
  const number = page.getByLabel("Number to enter");
  await expect(number).toHaveText(/^\d{2}$/);
  return (await number.textContent())!;
}

test("a paired phone turns phone sign-in on behind an app PIN", async ({ browser }) => {
  const phonePage = await openPhone(browser);

  // On the phone: the password (checked by the server: the phone alone is not enough) and a PIN
  // (a mismatch is refused), and phone sign-in is on.
  await phonePage.getByRole("button", { name: "Enable phone sign-in" }).click();
  const form = phonePage.getByRole("form", { name: "Choose an app PIN" });
  await form.getByLabel("Password").fill("not-my-password");
  await form.getByLabel("Choose an app PIN (6 to 12 digits)").fill(APP_PIN);
  await form.getByLabel("Confirm app PIN").fill("000000");
  await form.getByRole("button", { name: "Turn on" }).click();
  await expect(form.getByRole("alert")).toContainText("don't match");
  await expectNoAccessibilityViolations(phonePage);
  await form.getByLabel("Confirm app PIN").fill(APP_PIN);
  await form.getByRole("button", { name: "Turn on" }).click();
  await expect(form.getByRole("alert")).toHaveText("That password isn't right.");
  await expect(phonePage.getByRole("button", { name: "Enable phone sign-in" })).toHaveCount(0);
  await form.getByLabel("Password").fill(account.password);
  await form.getByRole("button", { name: "Turn on" }).click();
  await expect(phonePage.getByRole("button", { name: "Disable phone sign-in" })).toBeVisible();
  await expect(phonePage.getByRole("main").getByRole("status").first()).toBeVisible();
  await expectNoAccessibilityViolations(phonePage);
});

test("changes the app PIN only with the current one, which the server checks", async ({
  browser,
}) => {
  const phonePage = await openPhone(browser);
  await phonePage.goto("/authenticator");
  await phonePage.getByRole("button", { name: "Change app PIN" }).click();
  const form = phonePage.getByRole("form", { name: "Change app PIN" });
  await form.getByLabel("Current app PIN").fill("000000");
  await form.getByLabel("New app PIN (6 to 12 digits)").fill(NEW_APP_PIN);
  await form.getByLabel("Confirm new app PIN").fill(NEW_APP_PIN);
  await form.getByRole("button", { name: "Change PIN" }).click();
  await expect(form.getByRole("alert")).toHaveText("Wrong PIN. 4 attempts left.");
  await expectNoAccessibilityViolations(phonePage);
  await form.getByLabel("Current app PIN").fill(APP_PIN);
  await form.getByRole("button", { name: "Change PIN" }).click();
  await expect(phonePage.getByText("Your app PIN was changed.")).toBeVisible();
  await expect(phonePage.getByRole("button", { name: "Disable phone sign-in" })).toBeVisible();
});

test("an unknown email gets the same waiting page, and nothing reaches the phone (R-A18.1)", async ({
  page,
  browser,
}) => {
  const phonePage = await openPhone(browser);
  await askForPhoneSignIn(page, `nobody-${run}@example.edu`);
  await expectNoAccessibilityViolations(page);
  await phonePage.goto("/authenticator");
  await phonePage.getByRole("button", { name: "Check for notifications" }).click();
  await expect(phonePage.getByText("No requests waiting.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Sign out", exact: true })).toHaveCount(0);
});

test("signs in without the password: the phone types the number and the app PIN", async ({
  page,
  browser,
}) => {
  const phonePage = await openPhone(browser);
  const number = await askForPhoneSignIn(page, account.email);
  await expectNoAccessibilityViolations(page);

  await phonePage.goto("/authenticator");
  await phonePage.getByRole("button", { name: "Check for notifications" }).click();
  await expect(
    phonePage.getByRole("heading", { name: "Are you trying to sign in?" }),
  ).toBeVisible();
  await expect(phonePage.getByText("Phone sign-in: approving signs you in")).toBeVisible();
  await phonePage.getByLabel("Enter the number shown in your browser").fill(number);
  // A wrong PIN (here the old one, changed above) is refused by the server: the request stays
  // open, and the computer goes on waiting, not signed in.
  await phonePage.getByLabel("App PIN").fill(APP_PIN);
  await phonePage.getByRole("button", { name: "Approve", exact: true }).click();
  await expect(phonePage.getByRole("main").getByRole("alert")).toHaveText(
    "Wrong PIN. 4 attempts left.",
  );
  await expectNoAccessibilityViolations(phonePage);
  // Two polls after the refusal: the second one surely asked after the phone's answer.
  for (let i = 0; i < 2; i++) {
    const poll = await page.waitForResponse(
      (response) => response.url().includes("/signin/phone/status") && response.ok(),
    );
    expect(await poll.json()).toEqual({ status: "pending" });
  }
  await expect(page.getByLabel("Number to enter")).toHaveText(number);
  await expect(
    page.getByRole("heading", { level: 1, name: "Approve sign in request" }),
  ).toBeVisible();
  await expect(page.getByRole("button", { name: "Sign out", exact: true })).toHaveCount(0);

  // The right PIN on the same request signs in.
  await phonePage.getByLabel("App PIN").fill(NEW_APP_PIN);
  await phonePage.getByRole("button", { name: "Approve", exact: true }).click();
  await expect(
    phonePage.getByRole("main").getByRole("status").filter({ hasText: "Approved" }),
  ).toBeVisible();

  // The waiting page moves on by itself to "Stay signed in?", then into the portal.
  await expect(page.getByRole("heading", { level: 1, name: "Stay signed in?" })).toBeVisible();
  await page.getByRole("button", { name: "No" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Security info" })).toBeVisible();

  // Help says what the phone needs.
  await page.goto("/help");
  await expect(
    page.getByRole("heading", {
      level: 2,
      name: "How do I sign in with my phone instead of my password?",
    }),
  ).toBeVisible();
  await expect(page.getByRole("main")).toContainText("screen lock");
  await expect(page.getByRole("main")).toContainText("not stored on your phone");
  await signOut(page);
});

test("with phone sign-in off again, the account gets no request", async ({ page, browser }) => {
  const phonePage = await openPhone(browser);
  await phonePage.goto("/authenticator");
  await phonePage.getByRole("button", { name: "Disable phone sign-in" }).click();
  await expect(phonePage.getByRole("button", { name: "Enable phone sign-in" })).toBeVisible();
  await askForPhoneSignIn(page, account.email);
  await phonePage.getByRole("button", { name: "Check for notifications" }).click();
  await expect(phonePage.getByText("No requests waiting.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Sign out", exact: true })).toHaveCount(0);
});
