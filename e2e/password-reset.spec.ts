import { expect, test, type Browser, type Page } from "@playwright/test";
import { freshCode } from "./support/authenticator";
import {
  expectNoAccessibilityViolations,
  mainAlert,
  passSecondStep,
  signIn,
  submitPassword,
} from "./support/helpers";
import { latestMessage } from "./support/outbox";
import { tester } from "./support/state";

// "Forgot my password" without the helpdesk (R-A2.8): the person proves a sign-in method, chooses
// a new password, every other browser is signed out, and they then sign in as always.

const NEW_PASSWORD = "violet harbour lantern seventeen";

async function newPage(browser: Browser) {
  return (await browser.newContext({ baseURL: test.info().project.use.baseURL })).newPage();
}

/** From the sign-in page to "Verify your identity" for an email. */
async function startReset(page: Page, email: string) {
  await page.goto("/signin");
  await page.getByRole("link", { name: "Forgot my password" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Reset your password" })).toBeVisible();
  await page.getByRole("textbox", { name: "Email" }).fill(email);
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Verify your identity" })).toBeVisible();
}

/** What the verify page shows, and what a wrong code and "Text me a code" then show. */
async function whatTheResetShows(page: Page) {
  const main = page.getByRole("main");
  const shown = [await main.innerText()];
  await page.getByRole("textbox", { name: "Code from the app" }).fill("000000");
  await page.getByRole("button", { name: "Verify code" }).click();
  await expect(mainAlert(page)).toHaveText("That code didn't work. Check it and try again.");
  shown.push(await main.innerText());
  await page.getByRole("button", { name: "Text me a code" }).click();
  await expect(page.getByRole("main").getByRole("status")).toHaveText(
    "If your account has a phone that takes texts, we texted a code to it.",
  );
  shown.push(await main.innerText());
  return shown;
}

test("a forgotten password is reset with the authenticator app; other browsers are signed out, and sign-in still asks for the code", async ({
  page,
  browser,
}) => {
  const account = tester("self-reset");
  const elsewhere = await newPage(browser);
  await signIn(elsewhere, account); // sets up the authenticator app on the first sign-in

  await page.goto("/signin/forgot");
  await expectNoAccessibilityViolations(page);
  await startReset(page, account.email);
  await expectNoAccessibilityViolations(page);
  await page
    .getByRole("textbox", { name: "Code from the app" })
    .fill(await freshCode(account.email));
  await page.getByRole("button", { name: "Verify code" }).click();
  await expect(
    page.getByRole("heading", { level: 1, name: "Choose a new password" }),
  ).toBeVisible();
  await expectNoAccessibilityViolations(page);

  // Bad input gets a clear error and changes nothing.
  await page.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
  await page.getByLabel("Confirm new password").fill(`${NEW_PASSWORD}!`);
  await page.getByRole("button", { name: "Reset password" }).click();
  await expect(page.getByLabel("Confirm new password")).toHaveAccessibleDescription(
    "The passwords don't match.",
  );
  await elsewhere.reload();
  await expect(elsewhere.getByRole("heading", { level: 1, name: "Security info" })).toBeVisible();

  await page.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
  await page.getByLabel("Confirm new password").fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Reset password" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
  await expect(page.getByRole("main").getByRole("status")).toHaveText(
    "Your password was reset. Sign in with your new password.",
  );

  // The other browser was signed out; the owner was told.
  await elsewhere.reload();
  await expect(elsewhere.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
  await latestMessage(page, {
    channel: "Email",
    recipient: account.email,
    subject: "Your password was changed",
  });

  // The old password no longer works; the new one opens the first step only.
  await submitPassword(page, account.email, account.password);
  await expect(mainAlert(page)).toHaveText("Your account or password is incorrect.");
  await submitPassword(page, account.email, NEW_PASSWORD);
  await passSecondStep(page, account.email);
  await expect(page.getByRole("heading", { level: 1, name: "Stay signed in?" })).toBeVisible();
});

test("an unknown email gets the very same pages as a known one", async ({ page, browser }) => {
  const account = tester("self-reset");
  await startReset(page, account.email);
  const known = await whatTheResetShows(page);
  const other = await newPage(browser);
  await startReset(other, "no.such.person@example.edu");
  const unknown = await whatTheResetShows(other);
  expect(unknown).toEqual(known);
});
