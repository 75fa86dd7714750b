import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { createAccounts } from "./support/accounts";
import { startAppServer, type AppServer, type DemoSignIn } from "./support/app-server";
import {
  completeAuthenticatorWizard,
  freshCode,
  setUpAuthenticatorApp,
} from "./support/authenticator";
import { createOwnDatabase } from "./support/database";
import { expectNoAccessibilityViolations, submitPassword } from "./support/helpers";
import { codeIn, latestMessage } from "./support/outbox";
import { addVirtualAuthenticator } from "./support/passkeys";
import { E2E_PORT } from "./support/state";

// The wizard's backup step and recovery codes (R-A9.7): after the first method, a second of
// another kind is offered — skipped where allowed, required where the administrator says so —
// then recovery codes. Requiring a backup is organisation-wide, so this file runs its own server
// on a database of its own, which no other file's server sees.
const PORT = E2E_PORT + 10;
const BASE_URL = `http://localhost:${PORT}`;
const run = String(Date.now() % 100_000).padStart(5, "0");
let server: AppServer;
let ownDatabase: Awaited<ReturnType<typeof createOwnDatabase>>;
const names = ["skips", "phone", "admin", "required", "earlier"] as const;
let accounts: Record<(typeof names)[number], DemoSignIn>;

test.beforeAll(async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "factor-e2e-"));
  ownDatabase = await createOwnDatabase(`factor_e2e_backup_${run}`);
  const env: Record<string, string> = ownDatabase ? { DATABASE_URL: ownDatabase.url } : {};
  const created = createAccounts(
    names.map((name) =>
      name === "admin"
        ? { name: `backup-${name}-${run}`, role: "admin" as const }
        : `backup-${name}-${run}`,
    ),
    dataDir,
    { env },
  );
  accounts = Object.fromEntries(
    names.map((name) => [name, created[`backup-${name}-${run}`]!]),
  ) as typeof accounts;
  server = await startAppServer({ port: PORT, dataDir, env });
});
test.afterAll(async () => {
  await server?.stop();
  await ownDatabase?.drop();
});
test.use({ baseURL: BASE_URL });

const heading = (page: Page, name: string) => page.getByRole("heading", { level: 1, name });

/** Password, "More information required", then the authenticator app as the first method. */
async function firstMethod(page: Page, account: DemoSignIn) {
  await page.goto("/signin");
  await submitPassword(page, account.email, account.password);
  await page.getByRole("button", { name: "Next" }).click();
  await setUpAuthenticatorApp(page, account.email, "Pixel");
  await expect(heading(page, "Add a backup method")).toBeVisible();
}

/**
 * "Success!" → "Done" → "Stay signed in?" → "No" (unless already answered): signed in, on
 * Security info.
 */
async function finish(page: Page, { staySignedInAsked = true } = {}) {
  await expect(heading(page, "Success!")).toBeVisible();
  await page.getByRole("button", { name: "Done" }).click();
  if (staySignedInAsked) await page.getByRole("button", { name: "No" }).click();
  await expect(heading(page, "Security info")).toBeVisible();
}

/** The backup step's "Phone", registered by a texted code. Returns the masked number. */
async function addPhoneByText(page: Page, national: string) {
  await page.getByRole("button", { name: "Phone", exact: true }).click();
  await expect(heading(page, "Phone")).toBeVisible();
  await page.getByRole("textbox", { name: "Phone number" }).fill(national);
  await page.getByRole("radio", { name: "Receive a code" }).check();
  await page.getByRole("button", { name: "Next" }).click();
  await expect(heading(page, "Enter code")).toBeVisible();
  const e164 = `+44${national.replace(/\s/g, "").slice(1)}`;
  const text = await latestMessage(page, { channel: "SMS", recipient: e164 });
  await page.getByRole("textbox", { name: "Code" }).fill(codeIn(text));
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByText("SMS verified")).toBeVisible();
  await page.getByRole("button", { name: "Next" }).click();
  return `+44 •••• ••• ${e164.slice(-3)}`;
}

const reminder = (page: Page) =>
  page.getByRole("heading", { level: 2, name: "You have only one way to sign in" });

async function newPage(browser: Browser) {
  const context = await browser.newContext({ baseURL: BASE_URL });
  return context.newPage();
}

test("after the first method the wizard offers a backup of another kind, then recovery codes; skipping leaves a reminder", async ({
  page,
}) => {
  await firstMethod(page, accounts.skips);
  await expectNoAccessibilityViolations(page);
  // Another kind: a phone number or a passkey, not a second app on the same handset.
  await expect(page.getByRole("button", { name: "Phone", exact: true })).toBeVisible();
  await expect(page.getByRole("button", { name: "Passkey", exact: true })).toBeVisible();
  await expect(page.getByRole("button", { name: "Authenticator app", exact: true })).toHaveCount(0);
  await page.getByRole("button", { name: "Skip for now" }).click();

  await expect(heading(page, "Save your recovery codes")).toBeVisible();
  await expectNoAccessibilityViolations(page);
  await page.getByRole("button", { name: "Create recovery codes" }).click();
  const codes = page.getByRole("list", { name: "Recovery codes" }).getByRole("listitem");
  await expect(codes).toHaveCount(10);
  await expect(codes.first()).toHaveText(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  await expect(page.getByRole("link", { name: "Download codes" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Print codes" })).toBeVisible();
  await expectNoAccessibilityViolations(page);
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByText("Authenticator app or hardware token - code")).toBeVisible();
  await finish(page);

  // One way in: Security info and the Overview say so until a backup exists.
  await expect(reminder(page)).toBeVisible();
  await expect(
    page
      .getByRole("list", { name: "Sign-in methods" })
      .getByRole("listitem")
      .filter({ hasText: "Recovery codes" }),
  ).toContainText("10");
  await expectNoAccessibilityViolations(page);
  await page.goto("/");
  await expect(reminder(page)).toBeVisible();
  await expectNoAccessibilityViolations(page);
  await page.getByRole("button", { name: "Add a backup method" }).click();
  await expect(heading(page, "Add a backup method")).toBeVisible();
  await page.getByRole("button", { name: "Skip for now" }).click();
  await expect(heading(page, "Security info")).toBeVisible();
});

test("a phone added as the backup: two ways in, and no reminder", async ({ page }) => {
  await firstMethod(page, accounts.phone);
  const masked = await addPhoneByText(page, `07400 4${run}`);
  await expect(heading(page, "Save your recovery codes")).toBeVisible();
  await page.getByRole("button", { name: "Next" }).click();
  await finish(page);

  const methods = page.getByRole("list", { name: "Sign-in methods" });
  await expect(
    methods.getByRole("button", { name: "Delete Authenticator app Pixel" }),
  ).toBeVisible();
  await expect(methods.getByRole("button", { name: `Delete Phone ${masked}` })).toBeVisible();
  await expect(reminder(page)).toHaveCount(0);
  await page.goto("/");
  await expect(heading(page, "Overview")).toBeVisible();
  await expect(reminder(page)).toHaveCount(0);
});

test("required by the administrator, the backup cannot be skipped and the later steps wait for it", async ({
  browser,
}) => {
  // Someone who skipped the backup while it was only recommended.
  const earlierPage = await newPage(browser);
  await earlierPage.goto("/signin");
  await submitPassword(earlierPage, accounts.earlier.email, accounts.earlier.password);
  await earlierPage.getByRole("button", { name: "Next" }).click();
  await completeAuthenticatorWizard(earlierPage, accounts.earlier.email);
  await earlierPage.getByRole("button", { name: "Done" }).click();
  await earlierPage.getByRole("button", { name: "No" }).click();
  await expect(heading(earlierPage, "Security info")).toBeVisible();
  await earlierPage.getByRole("button", { name: "Sign out", exact: true }).click();

  const adminPage = await newPage(browser);
  await adminPage.goto("/signin");
  await submitPassword(adminPage, accounts.admin.email, accounts.admin.password);
  await adminPage.getByRole("button", { name: "Next" }).click();
  await completeAuthenticatorWizard(adminPage, accounts.admin.email);
  await adminPage.getByRole("button", { name: "Done" }).click();
  await adminPage.getByRole("button", { name: "No" }).click();
  await expect(heading(adminPage, "Security info")).toBeVisible();
  await adminPage.goto("/admin/settings");
  const backup = adminPage.getByRole("group", { name: "Backup method" });
  await expect(backup.getByRole("radio", { name: "Recommended" })).toBeChecked();
  // A backup rule with no kind that counts is refused, and nothing is saved.
  const counted = backup.getByRole("group", { name: "Kinds that count as a backup" });
  for (const box of await counted.getByRole("checkbox").all()) await box.uncheck();
  await backup.getByRole("radio", { name: "Required" }).check();
  await adminPage.getByRole("textbox", { name: "Reason" }).fill("Fewer lockouts");
  await adminPage.getByRole("button", { name: "Save settings" }).click();
  await expect(adminPage.getByRole("main").getByRole("alert")).toHaveText(
    "Choose at least one kind of method that counts as a backup. Nothing was saved.",
  );
  await adminPage.reload();
  await expect(backup.getByRole("radio", { name: "Recommended" })).toBeChecked();
  await expect(counted.getByRole("checkbox", { name: "Passkey" })).toBeChecked();
  await backup.getByRole("radio", { name: "Required" }).check();
  await adminPage.getByRole("textbox", { name: "Reason" }).fill("Fewer lockouts");
  await adminPage.getByRole("button", { name: "Save settings" }).click();
  await expect(adminPage.getByRole("main").getByRole("status")).toHaveText("Saved 1 setting.");
  await expectNoAccessibilityViolations(adminPage);

  const page = await newPage(browser);
  await firstMethod(page, accounts.required);
  await expect(page.getByText("Your organisation requires a backup method.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Skip for now" })).toHaveCount(0);
  await expectNoAccessibilityViolations(page);
  // The steps after it send the person back to it, and "Done" cannot be reached around it.
  for (const later of ["/register/recovery-codes", "/register/success"]) {
    await page.goto(later);
    await expect(heading(page, "Add a backup method")).toBeVisible();
  }
  await addPhoneByText(page, `07400 5${run}`);
  await expect(heading(page, "Save your recovery codes")).toBeVisible();
  await page.getByRole("button", { name: "Next" }).click();
  await finish(page);
  await expect(reminder(page)).toHaveCount(0);

  // Their next sign-in passes both steps, then stops at the backup step before any session.
  await addVirtualAuthenticator(earlierPage);
  await earlierPage.goto("/signin");
  await submitPassword(earlierPage, accounts.earlier.email, accounts.earlier.password);
  await earlierPage
    .getByRole("textbox", { name: "Code" })
    .fill(await freshCode(accounts.earlier.email, 0, PORT));
  await earlierPage.getByRole("button", { name: "Verify" }).click();
  await earlierPage.getByRole("button", { name: "No" }).click();
  await expect(heading(earlierPage, "Add a backup method")).toBeVisible();
  await expect(earlierPage.getByRole("button", { name: "Skip for now" })).toHaveCount(0);
  await expect(earlierPage.getByRole("button", { name: "Phone", exact: true })).toBeVisible();
  // No session yet: Security info sends this browser to sign in.
  const securityInfo = await earlierPage.request.get("/security-info", { maxRedirects: 0 });
  expect(securityInfo.status()).toBe(307);
  expect(securityInfo.headers().location).toMatch(/^\/signin/);
  await earlierPage.getByRole("button", { name: "Passkey", exact: true }).click();
  await expect(heading(earlierPage, "Create a passkey")).toBeVisible();
  await earlierPage.getByRole("button", { name: "Next" }).click();
  await expect(heading(earlierPage, "Save your recovery codes")).toBeVisible();
  await earlierPage.getByRole("button", { name: "Next" }).click();
  await finish(earlierPage, { staySignedInAsked: false });
  await expect(reminder(earlierPage)).toHaveCount(0);

  await adminPage.goto("/admin/audit?action=admin.settings.changed");
  await expect(adminPage.getByRole("table", { name: "Audit entries" })).toContainText(
    "Fewer lockouts",
  );
});
