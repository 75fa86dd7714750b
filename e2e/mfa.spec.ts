import { expect, test, type Page } from "@playwright/test";
import { devices, freshCode, setUpAuthenticatorApp } from "./support/authenticator";
import {
  expectNoAccessibilityViolations,
  mainAlert,
  signIn,
  submitPassword,
  submitSignInCode,
} from "./support/helpers";
import { tester } from "./support/state";

const WRONG = /That code didn't work/;

async function signOut(page: Page) {
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
}

/**
 * Submits a code and waits for the server's answer, so two submissions in a row that get the
 * same message cannot be mistaken for one.
 */
test("a code signs in once: the same code in another browser is refused (R-A4.3)", async ({
  page,
  browser,
}) => {
  const account = tester("replay");
  await signIn(page, account); // registers the app
  await signOut(page);
  await submitPassword(page, account.email, account.password);
  const code = await freshCode(account.email);
  await submitSignInCode(page, code);
  await expect(page.getByRole("heading", { level: 1, name: "Stay signed in?" })).toBeVisible();

  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await otherPage.goto("/signin");
  await submitPassword(otherPage, account.email, account.password);
  await submitSignInCode(otherPage, code);
  await expect(mainAlert(otherPage)).toHaveText(WRONG);
  await expect(otherPage.getByRole("heading", { level: 1, name: "Enter code" })).toBeVisible();
  await otherPage.goto("/security-info");
  await expect(otherPage).toHaveURL(/\/signin/);
  await other.close();
});

test("wrong codes: from the fifth a delay is shown, and even the right code waits", async ({
  page,
}) => {
  const account = tester("throttle");
  await signIn(page, account);
  await signOut(page);
  await submitPassword(page, account.email, account.password);
  // Letters are not a code: a clear message on the field (and it counts as a failure).
  await submitSignInCode(page, "abcdef");
  await expect(page.getByRole("textbox", { name: "Code" })).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByRole("textbox", { name: "Code" })).toHaveAccessibleDescription(
    /6-digit code/,
  );
  for (let i = 2; i <= 4; i++) {
    await submitSignInCode(page, String(100000 + i));
    await expect(mainAlert(page)).toHaveText(
      /That code didn't work. Check the code and try again./,
    );
  }
  await submitSignInCode(page, "100005");
  await expect(mainAlert(page)).toHaveText(/wait \d+ seconds before trying again/);
  await submitSignInCode(page, "100006");
  await expect(mainAlert(page)).toHaveText(/wait \d+ seconds before trying again/);
  await submitSignInCode(page, await freshCode(account.email));
  await expect(mainAlert(page)).toHaveText(/That code didn't work. For your security, wait/);
  await expect(page.getByRole("heading", { level: 1, name: "Enter code" })).toBeVisible();
});

test("a recovery code signs in once, then is spent (R-A8.3)", async ({ page }) => {
  const account = tester("recovery");
  await signIn(page, account);
  await page.getByRole("button", { name: "Create recovery codes" }).click();
  const codes = page.getByRole("list", { name: "Recovery codes" }).getByRole("listitem");
  await expect(codes).toHaveCount(10);
  const code = await codes.first().innerText();
  expect(code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  await signOut(page);

  for (const attempt of ["first", "second"] as const) {
    await submitPassword(page, account.email, account.password);
    await page.getByRole("link", { name: "Sign in another way" }).click();
    await expect(
      page.getByRole("heading", { level: 1, name: "Verify your identity" }),
    ).toBeVisible();
    await expect(page.getByRole("button", { name: "Use a verification code" })).toBeVisible();
    if (attempt === "first") await expectNoAccessibilityViolations(page);
    await page.getByRole("button", { name: "Use a recovery code" }).click();
    await expect(
      page.getByRole("heading", { level: 1, name: "Enter a recovery code" }),
    ).toBeVisible();
    if (attempt === "first") await expectNoAccessibilityViolations(page);
    await page.getByRole("textbox", { name: "Recovery code" }).fill(code.toLowerCase());
    await page.getByRole("button", { name: "Verify" }).click();
    if (attempt === "first") {
      await page.getByRole("button", { name: "No" }).click();
      await expect(page.getByRole("heading", { level: 1, name: "Security info" })).toBeVisible();
      await expect(page.getByText("9 codes left")).toBeVisible();
      await signOut(page);
    } else {
      await expect(mainAlert(page)).toHaveText(WRONG);
    }
  }
});

test("a second device's codes work too; deleting the old one stops its codes (R-A4.5)", async ({
  page,
}) => {
  const account = tester("devices");
  await signIn(page, account);
  await page.getByRole("button", { name: "Add sign-in method" }).click();
  const dialog = page.getByRole("dialog", { name: "Add a method" });
  await dialog
    .getByRole("combobox", { name: "Which method would you like to add?" })
    .selectOption({ label: "Authenticator app" });
  await dialog.getByRole("button", { name: "Add" }).click();
  // Added from Security info: no backup step and no recovery codes step, straight to Success!.
  await setUpAuthenticatorApp(page, account.email, "New phone");
  await expect(page.getByRole("heading", { level: 1, name: "Success!" })).toBeVisible();
  await page.getByRole("button", { name: "Done" }).click();
  const list = page.getByRole("list", { name: "Sign-in methods" });
  await expect(list.getByText("New phone", { exact: true })).toBeVisible();
  await expect(list.getByText("Phone · default", { exact: true })).toBeVisible();
  expect(devices(account.email)).toHaveLength(2);

  await page.getByRole("button", { name: "Change default sign-in method" }).click();
  const change = page.getByRole("dialog", { name: "Change default method" });
  const choice = change.getByRole("combobox", { name: "Which method would you like to use?" });
  await choice.selectOption({ label: "Authenticator app or hardware token - code (New phone)" });
  await change.getByRole("button", { name: "Confirm" }).click();
  await expect(page.getByRole("main").getByRole("status")).toHaveText(
    "Your default sign-in method was changed.",
  );
  await expect(list.getByText("New phone · default", { exact: true })).toBeVisible();
  await page.getByRole("button", { name: "Change default sign-in method" }).click();
  await choice.selectOption({ label: "Authenticator app or hardware token - code (Phone)" });
  await change.getByRole("button", { name: "Confirm" }).click();
  await expect(list.getByText("Phone · default", { exact: true })).toBeVisible();
  await signOut(page);

  for (const device of [1, 0]) {
    await submitPassword(page, account.email, account.password);
    await submitSignInCode(page, await freshCode(account.email, device));
    await page.getByRole("button", { name: "No" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Security info" })).toBeVisible();
    if (device === 1) await signOut(page);
  }

  await page.getByRole("button", { name: "Delete Authenticator app Phone" }).click();
  const confirm = page.getByRole("dialog", { name: "Delete Authenticator app Phone?" });
  await expect(confirm.getByRole("combobox", { name: "New default sign-in method" })).toBeVisible();
  await confirm.getByRole("button", { name: "Delete" }).click();
  await expect(page.getByRole("main").getByRole("status")).toHaveText(
    "The sign-in method was deleted.",
  );
  await expect(list.getByRole("listitem")).toHaveCount(2); // New phone and recovery codes
  await expect(list.getByText("New phone · default", { exact: true })).toBeVisible();
  await signOut(page);

  await submitPassword(page, account.email, account.password);
  await submitSignInCode(page, await freshCode(account.email, 0));
  await expect(mainAlert(page)).toHaveText(WRONG);
  await submitSignInCode(page, await freshCode(account.email, 1));
  await expect(page.getByRole("heading", { level: 1, name: "Stay signed in?" })).toBeVisible();
});

test("'Sign out everywhere' signs the other browser out on its next request", async ({
  page,
  browser,
}) => {
  const account = tester("everywhere");
  await signIn(page, account);
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await signIn(otherPage, account);

  await page.getByRole("button", { name: "Sign out everywhere" }).click();
  await expect(page.getByRole("main").getByRole("status")).toHaveText(
    "You were signed out everywhere else.",
  );

  await otherPage.goto("/security-info");
  await expect(otherPage).toHaveURL(/\/signin\?callbackUrl=%2Fsecurity-info$/);
  await page.reload();
  await expect(page.getByRole("heading", { level: 1, name: "Security info" })).toBeVisible();
  await other.close();
});

test("'Don't ask again for 14 days' skips the code on this browser only, until signed out everywhere", async ({
  page,
  browser,
}) => {
  const account = tester("remember");
  await signIn(page, account);
  await signOut(page);

  await submitPassword(page, account.email, account.password);
  await page.getByRole("textbox", { name: "Code" }).fill(await freshCode(account.email));
  await page.getByRole("checkbox", { name: "Don't ask again for 14 days" }).check();
  await page.getByRole("button", { name: "Verify" }).click();
  await page.getByRole("button", { name: "No" }).click();
  await signOut(page);

  await submitPassword(page, account.email, account.password);
  await expect(page.getByRole("heading", { level: 1, name: "Stay signed in?" })).toBeVisible();
  await page.getByRole("button", { name: "No" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Security info" })).toBeVisible();

  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await otherPage.goto("/signin");
  await submitPassword(otherPage, account.email, account.password);
  await expect(otherPage.getByRole("heading", { level: 1, name: "Enter code" })).toBeVisible();
  await other.close();

  // A security change from a remembered browser still needs a fresh code (R-A9.1).
  await page.getByRole("button", { name: "Sign out everywhere" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Verify your identity" })).toBeVisible();
  await submitSignInCode(page, await freshCode(account.email));
  await expect(page.getByRole("heading", { level: 1, name: "Security info" })).toBeVisible();
  await page.getByRole("button", { name: "Sign out everywhere" }).click();
  await expect(page.getByRole("main").getByRole("status")).toHaveText(
    "You were signed out everywhere else.",
  );
  await signOut(page);

  await submitPassword(page, account.email, account.password);
  await expect(page.getByRole("heading", { level: 1, name: "Enter code" })).toBeVisible();
});
