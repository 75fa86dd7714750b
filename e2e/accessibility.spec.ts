import { expect, test } from "@playwright/test";
import {
  expectNoAccessibilityViolations,
  mainAlert,
  signIn,
  submitPassword,
} from "./support/helpers";
import { demoAccount } from "./support/state";

test("signed-out pages have no WCAG 2.2 AA violations", async ({ page }) => {
  await page.goto("/signin");
  await expectNoAccessibilityViolations(page);

  await submitPassword(page, "someone@example.edu", "wrong-password");
  await expect(mainAlert(page)).toBeVisible();
  await expectNoAccessibilityViolations(page);

  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("textbox", { name: "Email" }).fill("");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("textbox", { name: "Email" })).toHaveAttribute(
    "aria-invalid",
    "true",
  );
  await expectNoAccessibilityViolations(page);

  await page.goto("/signin/forgot");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Forgot your password?");
  await expectNoAccessibilityViolations(page);

  await page.goto("/no-such-page");
  await expect(page.getByRole("heading", { level: 1, name: "Page not found" })).toBeVisible();
  await expectNoAccessibilityViolations(page);
});

test("signed-in pages and the stay-signed-in step have no WCAG 2.2 AA violations", async ({
  page,
}) => {
  const admin = demoAccount("admin");
  await page.goto("/signin");
  await submitPassword(page, admin.email, admin.password);
  await expect(page.getByRole("heading", { level: 1, name: "Stay signed in?" })).toBeVisible();
  await expectNoAccessibilityViolations(page);
  await page.getByRole("button", { name: "No" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Overview" })).toBeVisible();

  for (const [path, heading] of [
    ["/", "Overview"],
    ["/help", "Help"],
  ] as const) {
    await page.goto(path);
    await expect(page.getByRole("heading", { level: 1, name: heading })).toBeVisible();
    await expect(page.getByRole("main")).toHaveCount(1);
    await expect(page.getByRole("heading", { level: 1 })).toHaveCount(1);
    await expectNoAccessibilityViolations(page);
  }
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
});

test("sign-in works with the keyboard alone, starting from the skip link", async ({ page }) => {
  const helpdesk = demoAccount("helpdesk");
  await page.goto("/signin");
  await page.keyboard.press("Tab");
  const skip = page.getByRole("link", { name: "Skip to main content" });
  await expect(skip).toBeFocused();
  await page.keyboard.press("Enter");
  await page.keyboard.press("Tab");
  await expect(page.getByRole("textbox", { name: "Email" })).toBeFocused();
  await page.keyboard.type(helpdesk.email);
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Password")).toBeFocused();
  await page.keyboard.type(helpdesk.password);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { level: 1, name: "Stay signed in?" })).toBeVisible();
  await page.getByRole("button", { name: "No" }).focus();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { level: 1, name: "Overview" })).toBeVisible();
  await signInCleanup(page);
});

async function signInCleanup(page: import("@playwright/test").Page) {
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
}

test("the signed-in shell has the landmarks and navigation people rely on", async ({ page }) => {
  await signIn(page, demoAccount("student"));
  await expect(page.getByRole("banner")).toBeVisible();
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Overview" })).toHaveAttribute("aria-current", "page");
  await nav.getByRole("link", { name: "Help" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Help" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Help" })).toHaveAttribute("aria-current", "page");
  await expect(page.getByRole("heading", { level: 2 })).toHaveCount(10);
  await signInCleanup(page);
});
