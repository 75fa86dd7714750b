import AxeBuilder from "@axe-core/playwright";
import { expect, type Page } from "@playwright/test";
import type { DemoSignIn } from "./app-server";
import { completeAuthenticatorWizard, freshCode, portOf } from "./authenticator";

/** Fills the password step the way a person does. */
export async function submitPassword(page: Page, email: string, password: string) {
  await page.getByRole("textbox", { name: "Email" }).fill(email);
  await page.getByLabel("Password").fill(password);
  // Wait for the server's answer: repeated attempts show the same message, so the page alone
  // cannot tell one answer from the next.
  const answered = page.waitForResponse(
    (response) =>
      response.request().method() === "POST" && new URL(response.url()).pathname === "/signin",
  );
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await answered;
  await settled(page, "Signing in…");
}

/**
 * Waits until React has applied a form's answer, not just received it: until then the form may
 * still reset itself after the next fill, and the page still shows the previous answer.
 */
export async function settled(page: Page, pendingLabel: string) {
  await expect(page.getByRole("button", { name: pendingLabel })).toHaveCount(0);
}

/**
 * Signs in from /signin as a person would: password, then either the registration wizard (first
 * time) or a fresh code from the authenticator app, then "Stay signed in?". Ends signed in.
 */
export async function signIn(
  page: Page,
  account: DemoSignIn,
  options: { staySignedIn?: boolean; path?: string } = {},
) {
  await page.goto(options.path ?? "/signin");
  await submitPassword(page, account.email, account.password);
  await passSecondStep(page, account.email);
  await expect(page.getByRole("heading", { level: 1, name: "Stay signed in?" })).toBeVisible();
  await page.getByRole("button", { name: options.staySignedIn ? "Yes" : "No" }).click();
  await expect(page.getByRole("button", { name: "Sign out", exact: true })).toBeVisible();
}

/** After the password: registers an authenticator app the first time, else enters a fresh code. */
export async function passSecondStep(page: Page, email: string) {
  const registration = page.getByRole("heading", { level: 1, name: "More information required" });
  const code = page.getByRole("heading", { level: 1, name: "Enter code" });
  await expect(registration.or(code)).toBeVisible();
  if (await registration.isVisible()) {
    await page.getByRole("button", { name: "Next" }).click();
    await completeAuthenticatorWizard(page, email);
    await page.getByRole("button", { name: "Done" }).click();
    return;
  }
  await page.getByRole("textbox", { name: "Code" }).fill(await freshCode(email, 0, portOf(page)));
  await page.getByRole("button", { name: "Verify" }).click();
}

/** "Choose a new password" at the end of a reset: the password, its confirmation, "Finish". */
export async function finishReset(page: Page, password: string, confirmation = password) {
  await page.getByLabel("New password", { exact: true }).fill(password);
  await page.getByLabel("Confirm new password").fill(confirmation);
  await page.getByRole("button", { name: "Finish" }).click();
}

/** Types a code at "Enter code" and waits for the server's answer to it. */
export async function submitSignInCode(page: Page, code: string) {
  await page.getByRole("textbox", { name: "Code" }).fill(code);
  const answered = page.waitForResponse(
    (response) =>
      response.request().method() === "POST" &&
      new URL(response.url()).pathname === "/signin/verify",
  );
  await page.getByRole("button", { name: "Verify" }).click();
  await answered;
  await settled(page, "Verifying…");
}

/** The error shown in the page's main region (Next's route announcer is also an alert). */
export function mainAlert(page: Page) {
  return page.getByRole("main").getByRole("alert");
}

/** axe with the WCAG 2.2 A and AA rules must find nothing. */
export async function expectNoAccessibilityViolations(page: Page) {
  // Next streams metadata: let the title arrive before judging it.
  await expect(page).toHaveTitle(/\S/);
  const results = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"])
    .analyze();
  const summary = results.violations.map(
    (v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`,
  );
  expect(summary).toEqual([]);
}
