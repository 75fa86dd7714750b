import { expect, test, type Locator, type Page } from "@playwright/test";
import { addDevice, freshCode } from "./support/authenticator";
import { expectNoAccessibilityViolations, mainAlert, submitPassword } from "./support/helpers";
import { demoAccount } from "./support/state";
import { signedIn } from "./support/signed-in";

test("signed-out pages have no WCAG 2.2 AA violations", async ({ page }) => {
  await page.goto("/signin");
  await expectNoAccessibilityViolations(page);

  await submitPassword(page, "someone@example.edu", "wrong-password");
  await expect(mainAlert(page)).toBeVisible();
  await expectNoAccessibilityViolations(page);

  // Empty fields: errors tied to the fields.
  await page.getByRole("textbox", { name: "Email" }).fill("");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("textbox", { name: "Email" })).toHaveAttribute(
    "aria-invalid",
    "true",
  );
  await expectNoAccessibilityViolations(page);

  await page.getByRole("link", { name: "Forgot my password" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Get back into your account");
  await expectNoAccessibilityViolations(page);

  await page.goto("/no-such-page");
  await expect(page.getByRole("heading", { level: 1, name: "Page not found" })).toBeVisible();
  await expectNoAccessibilityViolations(page);
});

test("the wizard works with the keyboard alone, and every step is free of violations", async ({
  page,
}) => {
  const helpdesk = demoAccount("helpdesk");
  await page.goto("/signin");
  await page.keyboard.press("Tab");
  await expect(page.getByRole("link", { name: "Skip to main content" })).toBeFocused();
  await page.keyboard.press("Enter");
  await page.keyboard.press("Tab");
  await expect(page.getByRole("textbox", { name: "Email" })).toBeFocused();
  await page.keyboard.type(helpdesk.email);
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Password")).toBeFocused();
  await page.keyboard.type(helpdesk.password);
  await page.keyboard.press("Enter");

  await expect(
    page.getByRole("heading", { level: 1, name: "More information required" }),
  ).toBeVisible();
  await expectNoAccessibilityViolations(page);
  await tabTo(page, page.getByRole("button", { name: "Next" }));
  await page.keyboard.press("Enter");

  await expect(
    page.getByRole("heading", { level: 1, name: "Start by getting the app" }),
  ).toBeVisible();
  await expectNoAccessibilityViolations(page);
  await tabTo(page, page.getByRole("button", { name: "Next" }));
  await page.keyboard.press("Enter");

  await expect(page.getByRole("heading", { level: 1, name: "Set up your account" })).toBeVisible();
  await expectNoAccessibilityViolations(page);
  await tabTo(page, page.getByRole("textbox", { name: "Device name" }));
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.type("Work phone");
  await page.keyboard.press("Enter");

  await expect(page.getByRole("heading", { level: 1, name: "Scan the QR code" })).toBeVisible();
  await tabTo(page, page.getByRole("button", { name: "Can't scan the image?" }));
  await page.keyboard.press("Enter");
  await expect(page.getByRole("button", { name: "Copy secret key" })).toBeVisible();
  await expectNoAccessibilityViolations(page);
  const secret = (await page.getByLabel("Secret key").innerText()).replace(/\s/g, "");
  addDevice(helpdesk.email, secret, 0);
  await tabTo(page, page.getByRole("button", { name: "Next" }));
  await page.keyboard.press("Enter");

  await expect(page.getByRole("heading", { level: 1, name: "Enter code" })).toBeVisible();
  await expectNoAccessibilityViolations(page);
  await expect(page.getByRole("textbox", { name: "Code" })).toBeFocused();
  await page.keyboard.type(await freshCode(helpdesk.email));
  await page.keyboard.press("Enter");

  await expect(page.getByRole("heading", { level: 1, name: "Add a backup method" })).toBeVisible();
  await expectNoAccessibilityViolations(page);
  await tabTo(page, page.getByRole("button", { name: "Skip for now" }));
  await page.keyboard.press("Enter");

  await expect(
    page.getByRole("heading", { level: 1, name: "Save your recovery codes" }),
  ).toBeVisible();
  await expectNoAccessibilityViolations(page);
  await tabTo(page, page.getByRole("button", { name: "Next" }));
  await page.keyboard.press("Enter");

  await expect(page.getByRole("heading", { level: 1, name: "Success!" })).toBeVisible();
  await expectNoAccessibilityViolations(page);
  await tabTo(page, page.getByRole("button", { name: "Done" }));
  await page.keyboard.press("Enter");

  await expect(page.getByRole("heading", { level: 1, name: "Stay signed in?" })).toBeVisible();
  await expectNoAccessibilityViolations(page);
  await tabTo(page, page.getByRole("button", { name: "No" }));
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { level: 1, name: "Security info" })).toBeVisible();

  for (const [path, heading] of [
    ["/security-info", "Security info"],
    ["/", "Overview"],
    ["/help", "Help"],
  ] as const) {
    await page.goto(path);
    await expect(page.getByRole("heading", { level: 1, name: heading })).toBeVisible();
    await expect(page.getByRole("main")).toHaveCount(1);
    await expect(page.getByRole("heading", { level: 1 })).toHaveCount(1);
    await expectNoAccessibilityViolations(page);
  }
  await page.goto("/security-info");
  await page.getByRole("button", { name: "Add sign-in method" }).click();
  await expect(page.getByRole("dialog", { name: "Add a method" })).toBeVisible();
  await expectNoAccessibilityViolations(page);
  await page.keyboard.press("Escape");
  await expect(page.getByRole("dialog", { name: "Add a method" })).toBeHidden();
  await signInCleanup(page);

  // The second step for a registered account.
  await page.goto("/signin");
  await submitPassword(page, helpdesk.email, helpdesk.password);
  await expect(page.getByRole("heading", { level: 1, name: "Enter code" })).toBeVisible();
  await expectNoAccessibilityViolations(page);
});

/** Presses Tab until the locator has focus (a keyboard user's way of getting there). */
async function tabTo(page: Page, target: Locator) {
  for (let i = 0; i < 30; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press("Tab");
  }
  await expect(target).toBeFocused();
}

async function signInCleanup(page: import("@playwright/test").Page) {
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
}

test("the signed-in shell has the landmarks and navigation people rely on", async ({ page }) => {
  await signedIn(page, demoAccount("student"));
  await page.goto("/");
  await expect(page.getByRole("banner")).toBeVisible();
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Overview" })).toHaveAttribute("aria-current", "page");
  await expect(nav.getByRole("link", { name: "Security info" })).toBeVisible();
  await nav.getByRole("link", { name: "Help" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Help" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Help" })).toHaveAttribute("aria-current", "page");
  // One h2 per question: the ten of the FAQ (checked by name in secure-account.spec) and more.
  expect(await page.getByRole("heading", { level: 2 }).count()).toBeGreaterThanOrEqual(10);
  await signInCleanup(page);
});
