import { expect, test, type Page } from "@playwright/test";
import { skipBackupAndCodes } from "./support/authenticator";
import {
  expectNoAccessibilityViolations,
  mainAlert,
  signIn,
  submitPassword,
} from "./support/helpers";
import { addVirtualAuthenticator } from "./support/passkeys";
import { tester } from "./support/state";

// Passkeys in a real Chromium, with a virtual authenticator through the DevTools protocol: a
// platform authenticator that holds discoverable credentials and verifies the user (a PIN or a
// fingerprint on a real device).

async function signOut(page: Page) {
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
}

async function answerStaySignedIn(page: Page) {
  await expect(page.getByRole("heading", { level: 1, name: "Stay signed in?" })).toBeVisible();
  await page.getByRole("button", { name: "No" }).click();
  await expect(page.getByRole("button", { name: "Sign out", exact: true })).toBeVisible();
}

test("register a passkey in Security info, then sign in with it as the second factor and without a password", async ({
  page,
}) => {
  const account = tester("passkey");
  const { credentials } = await addVirtualAuthenticator(page);
  await signIn(page, account); // registers an authenticator app first

  await page.goto("/security-info");
  await page.getByRole("button", { name: "Add sign-in method" }).click();
  await page
    .getByRole("combobox", { name: "Which method would you like to add?" })
    .selectOption({ label: "Passkey" });
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Create a passkey" })).toBeVisible();
  await expectNoAccessibilityViolations(page);
  await page.getByRole("textbox", { name: "Passkey name" }).fill("Work laptop");
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Success!" })).toBeVisible();
  await page.getByRole("button", { name: "Done" }).click();

  await expect(page.getByRole("heading", { level: 1, name: "Security info" })).toBeVisible();
  const item = page
    .getByRole("list", { name: "Sign-in methods" })
    .getByRole("listitem")
    // The item whose own Delete button names it (other items list it as a possible default).
    .filter({
      has: page.getByRole("button", { name: "Delete Passkey Work laptop", exact: true }),
    });
  await expect(item).toContainText("Passkey");
  await expect(item).toContainText("Device-bound");
  await expect(
    page.getByRole("button", { name: "Delete Passkey Work laptop", exact: true }),
  ).toBeVisible();
  // One discoverable credential on the authenticator, for this site.
  const created = await credentials();
  expect(created).toHaveLength(1);
  expect(created[0]).toMatchObject({ isResidentCredential: true, rpId: "localhost" });
  const countAfterRegistration = created[0]!.signCount;

  // The same authenticator cannot register a second passkey for this account (excludeCredentials).
  await page.getByRole("button", { name: "Add sign-in method" }).click();
  await page
    .getByRole("combobox", { name: "Which method would you like to add?" })
    .selectOption({ label: "Passkey" });
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await page.getByRole("button", { name: "Next" }).click();
  await expect(mainAlert(page)).toContainText("already has a passkey for your account");
  expect(await credentials()).toHaveLength(1);

  // Second factor: the password, then "Sign in another way" → the passkey.
  await page.goto("/security-info");
  await signOut(page);
  await submitPassword(page, account.email, account.password);
  await expect(page.getByRole("heading", { level: 1, name: "Enter code" })).toBeVisible();
  await page.getByRole("link", { name: "Sign in another way" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Verify your identity" })).toBeVisible();
  await page.getByRole("button", { name: "Use a security key or passkey" }).click();
  await expect(
    page.getByRole("heading", { level: 1, name: "Verify with a passkey" }),
  ).toBeVisible();
  await expectNoAccessibilityViolations(page);
  await page.getByRole("button", { name: "Use a passkey" }).click();
  await answerStaySignedIn(page);
  const [afterSecondFactor] = await credentials();
  expect(afterSecondFactor!.signCount).toBeGreaterThan(countAfterRegistration);

  // Passwordless: no email, no password.
  await signOut(page);
  await expectNoAccessibilityViolations(page);
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await answerStaySignedIn(page);
  await page.goto("/security-info");
  await expect(page.getByRole("heading", { level: 1, name: "Security info" })).toBeVisible();
  await expect(item).toContainText("last used");
});

test("a passkey from the wizard's other methods becomes the default and is asked for first", async ({
  page,
}) => {
  const account = tester("passkey-wizard");
  await addVirtualAuthenticator(page);
  await page.goto("/signin");
  await submitPassword(page, account.email, account.password);
  await expect(
    page.getByRole("heading", { level: 1, name: "More information required" }),
  ).toBeVisible();
  await page.getByRole("button", { name: "Next" }).click();
  await expect(
    page.getByRole("heading", { level: 1, name: "Start by getting the app" }),
  ).toBeVisible();
  await page.getByRole("button", { name: "I want to set up a different method" }).click();
  await page
    .getByRole("combobox", { name: "Which method would you like to use?" })
    .selectOption({ label: "Passkey" });
  await page.getByRole("button", { name: "Confirm" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Create a passkey" })).toBeVisible();
  await page.getByRole("button", { name: "Next" }).click();
  await skipBackupAndCodes(page);
  await expect(page.getByRole("heading", { level: 1, name: "Success!" })).toBeVisible();
  await expect(page.getByRole("main")).toContainText("Default sign-in method: Passkey");
  await page.getByRole("button", { name: "Done" }).click();
  await answerStaySignedIn(page);

  // Next time the passkey is what the password leads to.
  await signOut(page);
  await submitPassword(page, account.email, account.password);
  await expect(
    page.getByRole("heading", { level: 1, name: "Verify with a passkey" }),
  ).toBeVisible();
  await page.getByRole("button", { name: "Use a passkey" }).click();
  await answerStaySignedIn(page);
});

test("without a passkey on the device, passwordless sign-in changes nothing", async ({ page }) => {
  const { cdp, authenticatorId } = await addVirtualAuthenticator(page);
  // The person declines (or has no passkey here): the browser reports it as not allowed.
  await cdp.send("WebAuthn.setUserVerified", { authenticatorId, isUserVerified: false });
  await page.goto("/signin");
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await expect(mainAlert(page)).toContainText("The passkey request was cancelled or timed out");
  await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
  await page.goto("/security-info");
  await expect(page).toHaveURL(/\/signin/);
});
