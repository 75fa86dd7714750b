import AxeBuilder from "@axe-core/playwright";
import { expect, type Page } from "@playwright/test";
import type { DemoSignIn } from "./app-server";

/** Fills the password step the way a person does. */
export async function submitPassword(page: Page, email: string, password: string) {
  await page.getByRole("textbox", { name: "Email" }).fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Signs in from /signin and answers "Stay signed in?"; ends on the page signed in to. */
export async function signIn(
  page: Page,
  account: DemoSignIn,
  options: { staySignedIn?: boolean; path?: string } = {},
) {
  await page.goto(options.path ?? "/signin");
  await submitPassword(page, account.email, account.password);
  await expect(page.getByRole("heading", { level: 1, name: "Stay signed in?" })).toBeVisible();
  await page.getByRole("button", { name: options.staySignedIn ? "Yes" : "No" }).click();
  await expect(page.getByRole("button", { name: "Sign out", exact: true })).toBeVisible();
}

/** The error shown in the page's main region (Next's route announcer is also an alert). */
export function mainAlert(page: Page) {
  return page.getByRole("main").getByRole("alert");
}

/** axe with the WCAG 2.2 A and AA rules must find nothing. */
export async function expectNoAccessibilityViolations(page: Page) {
  const results = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"])
    .analyze();
  const summary = results.violations.map(
    (v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`,
  );
  expect(summary).toEqual([]);
}
