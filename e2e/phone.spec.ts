import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { createAccounts } from "./support/accounts";
import { skipBackupAndCodes } from "./support/authenticator";
import { startAppServer, type AppServer, type DemoSignIn } from "./support/app-server";
import {
  expectNoAccessibilityViolations,
  mainAlert,
  settled,
  submitPassword,
} from "./support/helpers";
import { answerCall, codeIn, latestMessage, readOutbox, waitForNewMessage } from "./support/outbox";
import { E2E_PORT, mainDataDir } from "./support/state";

// Phones (R-A5): registered and used by text and by call, with the outbox standing in for the
// phone. This file runs its own server with short windows, so the limits show without waiting.
const PORT = E2E_PORT + 3;
const onPostgres = Boolean(process.env.DATABASE_URL);
// Short enough to wait out, long enough that reading a code and typing it never outlasts it on a
// busy machine, nor the steps between two sends the spacing rule.
const SEND_INTERVAL_SECONDS = 10;
const CODE_TTL_SECONDS = 30;
const serverEnv = {
  PHONE_SEND_INTERVAL_SECONDS: String(SEND_INTERVAL_SECONDS),
  PHONE_SENDS_PER_HOUR: "4",
  SMS_CODE_TTL_SECONDS: String(CODE_TTL_SECONDS),
};
let server: AppServer;
const accounts: Record<"text" | "call" | "limits" | "none", DemoSignIn> = {} as never;
// Distinct numbers per run: on PostgreSQL earlier runs' sends count against a number.
const run = String(Date.now() % 100_000).padStart(5, "0");
const numbers = { text: `07400 1${run}`, call: `07400 2${run}`, limits: `07400 3${run}` };
const e164 = (national: string) => `+44${national.replace(/\s/g, "").slice(1)}`;

test.beforeAll(async () => {
  const dataDir = onPostgres ? mainDataDir() : mkdtempSync(path.join(tmpdir(), "factor-e2e-"));
  const names = ["text", "call", "limits", "none"] as const;
  const created = createAccounts(
    names.map((name) => `phone-${name}-${run}`),
    dataDir,
  );
  for (const name of names) accounts[name] = created[`phone-${name}-${run}`]!;
  server = await startAppServer({ port: PORT, dataDir, env: serverEnv });
});
test.afterAll(async () => {
  await server?.stop();
});
test.use({ baseURL: `http://localhost:${PORT}` });

/** Runs `action` and returns the code of the text it caused (a newer one than any before). */
async function codeSentBy(page: Page, number: string, action: () => Promise<void>) {
  return codeIn(await waitForNewMessage(page, { channel: "SMS", recipient: e164(number) }, action));
}

async function latestCode(page: Page, number: string): Promise<string> {
  return codeIn(await latestMessage(page, { channel: "SMS", recipient: e164(number) }));
}

/** First sign-in: the wizard's "I want to set up a different method" → Phone. */
async function openPhoneStep(page: Page, account: DemoSignIn) {
  await page.goto("/signin");
  await submitPassword(page, account.email, account.password);
  await page.getByRole("button", { name: "Next" }).click();
  await expect(
    page.getByRole("heading", { level: 1, name: "Start by getting the app" }),
  ).toBeVisible();
  await page.getByRole("button", { name: "I want to set up a different method" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByRole("combobox", { name: "Which method would you like to use?" }).selectOption({
    label: "Phone",
  });
  await dialog.getByRole("button", { name: "Confirm" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Phone" })).toBeVisible();
  await expect(page.getByRole("combobox", { name: "Country code" })).toHaveValue("GB");
}

async function finishWizard(page: Page, defaultName: string) {
  await page.getByRole("button", { name: "Next" }).click();
  await skipBackupAndCodes(page);
  await expect(page.getByRole("heading", { level: 1, name: "Success!" })).toBeVisible();
  await expect(page.getByText(defaultName)).toBeVisible();
  await page.getByRole("button", { name: "Done" }).click();
  await page.getByRole("button", { name: "No" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Security info" })).toBeVisible();
}

/** An alert in the page's main region saying this (the form may show an earlier one too). */
function alertSaying(page: Page, text: string) {
  return mainAlert(page).filter({ hasText: text });
}

function statusSaying(page: Page, text: string) {
  return page.getByRole("main").getByRole("status").filter({ hasText: text });
}

/** The countdown a page shows while the send limits hold a text or call back. */
function countdown(page: Page) {
  return page.getByRole("main").getByRole("timer");
}

/** Long enough for the spacing rule to run out, with room for a busy machine. */
const SEND_WAIT_TIMEOUT_MS = (SEND_INTERVAL_SECONDS + 15) * 1000;

/** A second browser, signed out, on this spec's server: a second sign-in at the same time. */
async function secondBrowser(browser: Browser) {
  const context = await browser.newContext({ baseURL: `http://localhost:${PORT}` });
  return context.newPage();
}

/** "Resend code", waiting for the server's answer: the form may still show the previous one. */
async function resend(page: Page) {
  const answered = page.waitForResponse((response) => response.request().method() === "POST");
  await page.getByRole("button", { name: "Resend code" }).click();
  await answered;
  await settled(page, "Sending…");
}

/**
 * Enters a code and waits for the server's answer: the alert of an earlier wrong code would
 * otherwise pass for this one's, and the form resets once the earlier submission lands.
 */
async function submitCode(page: Page, code: string) {
  await page.getByRole("textbox", { name: "Code" }).fill(code);
  const answered = page.waitForResponse((response) => response.request().method() === "POST");
  await page.getByRole("button", { name: "Next" }).click();
  await answered;
  await settled(page, "Checking…");
}

async function signOut(page: Page) {
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
}

test("a phone registered by text signs in with a texted code (R-A5.5, R-A5.8)", async ({
  page,
  browser,
}) => {
  // It waits out the spacing between sends by design.
  test.slow();
  const account = accounts.text;
  await openPhoneStep(page, account);
  await expectNoAccessibilityViolations(page);

  // A number that is not valid for the country is refused at its field, and nothing is sent.
  await page.getByRole("textbox", { name: "Phone number" }).fill("12345");
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByRole("textbox", { name: "Phone number" })).toHaveAccessibleDescription(
    /doesn't look like a phone number/,
  );

  await page.getByRole("textbox", { name: "Phone number" }).fill(numbers.text);
  await page.getByRole("radio", { name: "Receive a code" }).check();
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Enter code" })).toBeVisible();
  await expect(page.getByText("+44 •••• ••• ")).toBeVisible();
  await expectNoAccessibilityViolations(page);
  await page.getByRole("textbox", { name: "Code" }).fill(await latestCode(page, numbers.text));
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByText("SMS verified")).toBeVisible();
  const masked = `+44 •••• ••• ${e164(numbers.text).slice(-3)}`;
  await finishWizard(page, `Phone - text ${masked}`);
  await expect(
    page
      .getByRole("list", { name: "Sign-in methods" })
      .getByRole("listitem")
      .filter({ hasText: masked }),
  ).toContainText("Phone");

  // The person is told by email (R-A15.1).
  await latestMessage(page, {
    channel: "Email",
    recipient: account.email,
    subject: "A sign-in method was added",
  });

  // Next sign-in: the text goes out with the password step; a wrong code fails, the right one works.
  await signOut(page);
  await page.waitForTimeout(SEND_INTERVAL_SECONDS * 1000);
  // A second browser signs in right after this one (see below): ready before the first text.
  const other = await secondBrowser(browser);
  await other.goto("/signin");
  const code = await codeSentBy(page, numbers.text, () =>
    submitPassword(page, account.email, account.password),
  );
  await submitPassword(other, account.email, account.password);
  await expect(page.getByRole("heading", { level: 1, name: "Enter code" })).toBeVisible();
  const short = `+44 XXXXXXXX${e164(numbers.text).slice(-2)}`;
  await expect(page.getByText(`We texted your phone ${short}`)).toBeVisible();

  // The second sign-in, so soon after the first, is held back by the spacing rule (R-A5.4): its
  // page says no text went, asks for no code, and counts down to when one can.
  await expect(other.getByRole("heading", { level: 1, name: "Enter code" })).toBeVisible();
  await expect(other.getByText(`We can't text your phone ${short} yet.`)).toBeVisible();
  await expect(other.getByText(/We texted/)).toHaveCount(0);
  await expect(other.getByRole("textbox", { name: "Code" })).toHaveCount(0);
  await expect(countdown(other)).toHaveText(/^You can get a code by text in \d+ seconds?\.$/);
  // Announced once, as it starts; the figure in the timer is not.
  await expect(
    other
      .getByRole("main")
      .getByRole("status")
      .filter({ hasText: /^You can get a code by text in \d+ seconds?\.$/ }),
  ).toHaveCount(1);
  await expect(other.getByRole("button", { name: "Resend code" })).toBeDisabled();
  await expectNoAccessibilityViolations(other);
  // The newest text is still the first sign-in's.
  expect(codeIn(await latestMessage(page, { channel: "SMS", recipient: e164(numbers.text) }))).toBe(
    code,
  );

  await page.getByRole("textbox", { name: "Code" }).fill(code === "000000" ? "111111" : "000000");
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(alertSaying(page, "That code didn't work")).toBeVisible();
  await page.getByRole("textbox", { name: "Code" }).fill(code);
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Stay signed in?" })).toBeVisible();

  // Once the wait is over the held-back sign-in can ask again, and this time a text goes.
  await expect(other.getByRole("button", { name: "Resend code" })).toBeEnabled({
    timeout: SEND_WAIT_TIMEOUT_MS,
  });
  await expect(statusSaying(other, "You can get a code by text now.")).toBeVisible();
  await expect(countdown(other)).toHaveCount(0);
  const late = await codeSentBy(other, numbers.text, () =>
    other.getByRole("button", { name: "Resend code" }).click(),
  );
  await expect(other.getByText(`We texted your phone ${short}`)).toBeVisible();
  await other.getByRole("textbox", { name: "Code" }).fill(late);
  await other.getByRole("button", { name: "Verify" }).click();
  await expect(other.getByRole("heading", { level: 1, name: "Stay signed in?" })).toBeVisible();
  await other.context().close();
});

test("a phone registered by answering a call signs in by call; a held-back or declined call fails cleanly", async ({
  page,
  context,
  browser,
}) => {
  // It waits out the spacing between sends by design.
  test.slow();
  const account = accounts.call;
  const callsTo = { channel: "Call" as const, recipient: e164(numbers.call) };
  await openPhoneStep(page, account);
  await page.getByRole("textbox", { name: "Phone number" }).fill(numbers.call);
  await page.getByRole("radio", { name: "Call me" }).check();
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Approve the call" })).toBeVisible();
  await expectNoAccessibilityViolations(page);
  await answerCall(page, e164(numbers.call), "#");
  // The waiting page advances by itself.
  await expect(page.getByText("Call answered")).toBeVisible();
  await finishWizard(page, `Phone - call +44 •••• ••• ${e164(numbers.call).slice(-3)}`);

  await signOut(page);
  await page.waitForTimeout(SEND_INTERVAL_SECONDS * 1000);
  const callsBefore = (await readOutbox(page, callsTo)).length;
  // A second browser signs in right after this one (see below): ready before the first call.
  const other = await secondBrowser(browser);
  await other.goto("/signin");
  await submitPassword(page, account.email, account.password);
  await submitPassword(other, account.email, account.password);
  await expect(
    page.getByRole("heading", { level: 1, name: "Approve sign in request" }),
  ).toBeVisible();
  const short = `+44 XXXXXXXX${e164(numbers.call).slice(-2)}`;
  await expect(page.getByText(`We're calling your phone ${short}`)).toBeVisible();

  // "Call again" at once is held back by the spacing rule (R-A5.4): the first call still rings,
  // and the page counts down to when another can go.
  await page.getByRole("button", { name: "Call again" }).click();
  await expect(page.getByText(`The call to your phone ${short} is still ringing.`)).toBeVisible();
  await expect(countdown(page)).toHaveText(/^You can get a call in \d+ seconds?\.$/);
  await expect(page.getByRole("button", { name: "Call again" })).toBeDisabled();
  await expect(page.getByText("Waiting for you to answer the call")).toBeVisible();

  // The second sign-in, at the same moment, got no call, and its page does not claim one.
  await expect(
    other.getByRole("heading", { level: 1, name: "Approve sign in request" }),
  ).toBeVisible();
  await expect(other.getByText(`We can't call your phone ${short} yet.`)).toBeVisible();
  await expect(other.getByText(/We're calling/)).toHaveCount(0);
  await expect(other.getByText("Waiting for you to answer the call")).toHaveCount(0);
  await expect(countdown(other)).toHaveText(/^You can get a call in \d+ seconds?\.$/);
  await expect(other.getByRole("button", { name: "Call again" })).toBeDisabled();
  await expectNoAccessibilityViolations(page);
  await expectNoAccessibilityViolations(other);
  expect(await readOutbox(page, callsTo)).toHaveLength(callsBefore + 1);

  await answerCall(page, e164(numbers.call), "decline");
  await expect(alertSaying(page, "The call was declined")).toBeVisible();
  // Still not signed in: a protected page sends the person back to sign in.
  const protectedPage = await context.newPage();
  await protectedPage.goto("/security-info");
  await expect(protectedPage.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
  await protectedPage.close();

  // Once the wait is over, "Call again" comes back and really calls.
  await expect(other.getByRole("button", { name: "Call again" })).toBeEnabled({
    timeout: SEND_WAIT_TIMEOUT_MS,
  });
  await expect(statusSaying(other, "You can get a call now.")).toBeVisible();
  await waitForNewMessage(other, callsTo, () =>
    other.getByRole("button", { name: "Call again" }).click(),
  );
  await expect(other.getByText(`We're calling your phone ${short}`)).toBeVisible();
  await expect(other.getByText("Waiting for you to answer the call")).toBeVisible();
  await answerCall(other, e164(numbers.call), "#");
  await expect(other.getByRole("heading", { level: 1, name: "Stay signed in?" })).toBeVisible();
  await other.context().close();
});

test("codes expire, resends replace them, and send limits hold (R-A5.2-5.4)", async ({ page }) => {
  // About a minute of it is waiting out the spacing rule and the code lifetime by design.
  test.slow();
  const account = accounts.limits;
  await openPhoneStep(page, account);
  await page.getByRole("textbox", { name: "Phone number" }).fill(numbers.limits);
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Enter code" })).toBeVisible();
  const first = await latestCode(page, numbers.limits);

  // A resend right away is held back by the spacing rule: the page says the code sent still
  // works and counts down; after it, "Resend code" comes back and a new code replaces the old.
  const masked = `+44 •••• ••• ${e164(numbers.limits).slice(-3)}`;
  await resend(page);
  await expect(page.getByText(`The code we sent to ${masked} earlier still works.`)).toBeVisible();
  await expect(countdown(page)).toHaveText(/^You can get a code by text in \d+ seconds?\.$/);
  await expect(page.getByRole("button", { name: "Resend code" })).toBeDisabled();
  await expectNoAccessibilityViolations(page);
  await expect(page.getByRole("button", { name: "Resend code" })).toBeEnabled({
    timeout: SEND_WAIT_TIMEOUT_MS,
  });
  await expect(statusSaying(page, "You can get a code by text now.")).toBeVisible();
  const second = await codeSentBy(page, numbers.limits, () => resend(page));
  await expect(statusSaying(page, "We sent a new code")).toBeVisible();
  if (second !== first) {
    await submitCode(page, first);
    await expect(alertSaying(page, "That code didn't work")).toBeVisible();
  }

  // An expired code fails cleanly.
  await page.waitForTimeout(CODE_TTL_SECONDS * 1000 + 500);
  await submitCode(page, second);
  await expect(alertSaying(page, "That code didn't work")).toBeVisible();

  // Two more sends reach the hourly cap of four; the fifth is refused, and says only when.
  const third = await codeSentBy(page, numbers.limits, () => resend(page));
  await expect(statusSaying(page, "We sent a new code")).toBeVisible();
  await page.waitForTimeout(SEND_INTERVAL_SECONDS * 1000);
  const fourth = await codeSentBy(page, numbers.limits, () => resend(page));
  await expect(statusSaying(page, "We sent a new code")).toBeVisible();
  await page.waitForTimeout(SEND_INTERVAL_SECONDS * 1000);
  await resend(page);
  await expect(countdown(page)).toHaveText(/^You can get a code by text in \d+ minutes\.$/);
  await expect(page.getByRole("button", { name: "Resend code" })).toBeDisabled();

  // The newest code still works; the one before it does not.
  if (third !== fourth) {
    await submitCode(page, third);
    await expect(alertSaying(page, "That code didn't work")).toBeVisible();
  }
  await submitCode(page, fourth);
  await expect(page.getByText("SMS verified")).toBeVisible();
});

test("someone with no mobile phone asks the helpdesk from the wizard", async ({ page }) => {
  const account = accounts.none;
  await page.goto("/signin");
  await submitPassword(page, account.email, account.password);
  await page.getByRole("button", { name: "Next" }).click();
  await page
    .getByRole("link", { name: "I do not own a mobile phone — contact the helpdesk" })
    .click();
  await expect(page.getByRole("heading", { level: 1, name: "Contact the helpdesk" })).toBeVisible();
  await expectNoAccessibilityViolations(page);
  // An empty request is refused at its field; a real one becomes a case with a reference.
  await page.getByRole("button", { name: "Send request" }).click();
  await expect(page.getByRole("textbox", { name: "How can we help?" })).toHaveAccessibleDescription(
    /Tell us how we can help/,
  );
  await page
    .getByRole("textbox", { name: "How can we help?" })
    .fill("I only have a landline at home and no smartphone.");
  await page.getByRole("button", { name: "Send request" }).click();
  await expect(statusSaying(page, "Your request was sent to the helpdesk")).toBeVisible();
  await page.getByRole("button", { name: "Back" }).click();
  await expect(
    page.getByRole("heading", { level: 1, name: "Start by getting the app" }),
  ).toBeVisible();
});
