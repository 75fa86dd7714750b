import { expect, test, type Browser, type Page } from "@playwright/test";
import { freshCode } from "./support/authenticator";
import {
  expectNoAccessibilityViolations,
  finishReset,
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
  await expect(
    page.getByRole("heading", { level: 1, name: "Get back into your account" }),
  ).toBeVisible();
  await page.getByRole("textbox", { name: "Email" }).fill(email);
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Verify your identity" })).toBeVisible();
}

/** "Verify your identity": one method, its code, "Verify". */
async function prove(page: Page, method: string, code: string) {
  await page.getByRole("button", { name: method }).click();
  await page.getByRole("textbox", { name: "Code" }).fill(code);
  await page.getByRole("button", { name: "Verify", exact: true }).click();
}

/** What each step of the verify page shows, up to a wrong code's answer. */
async function whatTheResetShows(page: Page) {
  const main = page.getByRole("main");
  const shown = [await main.innerText()];
  await page.getByRole("button", { name: "Use a verification code" }).click();
  shown.push(await main.innerText());
  await page.getByRole("textbox", { name: "Code" }).fill("000000");
  await page.getByRole("button", { name: "Verify", exact: true }).click();
  await expect(page.getByRole("textbox", { name: "Code" })).toHaveAccessibleDescription(
    "That code didn't work. Check it and try again.",
  );
  shown.push(await main.innerText());
  return shown;
}

test("a forgotten password is reset with the app and a recovery code; other browsers are signed out, and sign-in still asks for the code", async ({
  page,
  browser,
}) => {
  const account = tester("self-reset");
  const elsewhere = await newPage(browser);
  await signIn(elsewhere, account); // sets up the authenticator app on the first sign-in
  await elsewhere.getByRole("button", { name: "Create recovery codes" }).click();
  const recoveryCode = await elsewhere
    .getByRole("list", { name: "Recovery codes" })
    .getByRole("listitem")
    .first()
    .innerText();

  await page.goto("/reset-password");
  await expectNoAccessibilityViolations(page);
  await startReset(page, account.email);
  await expectNoAccessibilityViolations(page);
  await expect(page.getByRole("main")).toContainText("0 of 2 done");
  await prove(page, "Use a verification code", await freshCode(account.email));
  await expect(page.getByRole("main")).toContainText("1 of 2 done");
  // The app is done: only the recovery code is left to choose.
  await expect(page.getByRole("button", { name: "Use a verification code" })).toHaveCount(0);
  await page.getByRole("button", { name: "Use a recovery code" }).click();
  await expectNoAccessibilityViolations(page);
  await page.getByRole("textbox", { name: "Code" }).fill(recoveryCode);
  await page.getByRole("button", { name: "Verify", exact: true }).click();
  await expect(
    page.getByRole("heading", { level: 1, name: "Choose a new password" }),
  ).toBeVisible();
  await expectNoAccessibilityViolations(page);

  // Bad input gets a clear error and changes nothing.
  await finishReset(page, NEW_PASSWORD, `${NEW_PASSWORD}!`);
  await expect(page.getByLabel("Confirm new password")).toHaveAccessibleDescription(
    "The passwords don't match.",
  );
  await elsewhere.reload();
  await expect(elsewhere.getByRole("heading", { level: 1, name: "Security info" })).toBeVisible();

  await finishReset(page, NEW_PASSWORD);
  await expect(
    page.getByRole("heading", { level: 1, name: "Your password was reset" }),
  ).toBeVisible();
  await expectNoAccessibilityViolations(page);

  // The other browser was signed out; the owner was told.
  await elsewhere.reload();
  await expect(elsewhere.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
  await latestMessage(page, {
    channel: "Email",
    recipient: account.email,
    subject: "Your password was changed",
  });

  // The old password no longer works; the new one opens the first step only.
  await page.getByRole("link", { name: "Sign in" }).click();
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
  await expectNoAccessibilityViolations(page);
  const other = await newPage(browser);
  await startReset(other, "no.such.person@example.edu");
  const unknown = await whatTheResetShows(other);
  expect(unknown).toEqual(known);
});
