import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import {
  directoryPassword,
  personDn,
  startTestDirectory,
  type TestDirectory,
} from "../lib/testing/directory";
import { createAccounts, type Account } from "./support/accounts";
import { startAppServer, type AppServer } from "./support/app-server";
import { createOwnDatabase } from "./support/database";
import { expectNoAccessibilityViolations, signIn } from "./support/helpers";
import { E2E_PORT } from "./support/state";

// Issue #17 as people see it, against a real OpenLDAP server (lib/testing/directory.ts): a person
// of the directory signs in with the directory's password and sets up a second factor, changes
// the password in "Secure your account" (checked by binding to the directory), and an
// administrator runs the sync from the console. A server of this file's own, pointed at the
// directory.
const PORT = E2E_PORT + 19;
const BASE_URL = `http://localhost:${PORT}`;
const run = String(Date.now() % 100_000).padStart(5, "0");
const NEW_PASSWORD = "a kettle on the windowsill";

let directory: TestDirectory;
let server: AppServer;
let ownDatabase: Awaited<ReturnType<typeof createOwnDatabase>>;
let admin: Account;

test.beforeAll(async () => {
  // A directory, accounts and a server of this file's own: more than one test's time on 2 cores.
  test.setTimeout(180_000);
  directory = await startTestDirectory();
  const dataDir = mkdtempSync(path.join(tmpdir(), "factor-e2e-"));
  ownDatabase = await createOwnDatabase(`factor_e2e_directory_${run}`);
  const env: Record<string, string> = {
    PUBLIC_URL: BASE_URL,
    // The demo organisation has a local ada.lovelace@example.edu, who would shadow the
    // directory's; PostgreSQL runs seed it unless told not to.
    SEED_DEMO: "false",
    ...directory.settings,
    LDAP_SYNC_INTERVAL_MINUTES: "0",
    ...(ownDatabase ? { DATABASE_URL: ownDatabase.url } : {}),
  };
  const created = createAccounts(
    [{ name: `directory-admin-${run}`, role: "admin", authenticator: true }],
    dataDir,
    { env, port: PORT },
  );
  admin = created[`directory-admin-${run}`]!;
  server = await startAppServer({ port: PORT, dataDir, env });
});
test.afterAll(async () => {
  await server?.stop();
  await ownDatabase?.drop();
  await directory?.dispose();
});
test.use({ baseURL: BASE_URL });
test.describe.configure({ mode: "serial" });

const heading = (page: Page, name: string) => page.getByRole("heading", { level: 1, name });
const ada = {
  role: "user" as const,
  email: "ada.lovelace@example.edu",
  password: directoryPassword("ada.lovelace"),
};

test("a person of the directory signs in with its password and sets up a second factor", async ({
  page,
}) => {
  await page.goto("/signin");
  await expectNoAccessibilityViolations(page);
  await signIn(page, ada);
  await page.goto("/security-info");
  await expect(heading(page, "Security info")).toBeVisible();
  await expectNoAccessibilityViolations(page);
});

test("changing the password in Secure your account changes it in the directory", async ({
  page,
}) => {
  await signIn(page, ada);
  await page.goto("/secure-account");
  await expect(heading(page, "Change your password")).toBeVisible();
  await expectNoAccessibilityViolations(page);

  // Long enough for Factor, too short for the directory's policy: its own words come back.
  await page.getByLabel("Current password").fill(ada.password);
  await page.getByLabel("New password", { exact: true }).fill("tiny-secret");
  await page.getByLabel("Confirm new password").fill("tiny-secret");
  await page.getByRole("button", { name: "Next" }).click();
  const newPassword = page.getByLabel("New password", { exact: true });
  await expect(newPassword).toHaveAttribute("aria-invalid", "true");
  await expect(newPassword).toHaveAccessibleDescription(/The directory refused this password/);
  await expectNoAccessibilityViolations(page);
  expect(await directory.whoami(personDn("ada.lovelace"), ada.password)).toBe(true);

  await page.getByLabel("Current password").fill(ada.password);
  await newPassword.fill(NEW_PASSWORD);
  await page.getByLabel("Confirm new password").fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Next" }).click();
  await expect(heading(page, "Sign out everywhere")).toBeVisible();
  await expectNoAccessibilityViolations(page);

  expect(await directory.whoami(personDn("ada.lovelace"), NEW_PASSWORD)).toBe(true);
  expect(await directory.whoami(personDn("ada.lovelace"), ada.password)).toBe(false);
});

test("an administrator runs a dry run and the sync from the console and sees the counts", async ({
  page,
}) => {
  await signIn(page, admin);
  await page.goto("/admin/directory");
  await expect(heading(page, "Directory")).toBeVisible();
  await expect(page.getByText("No sync has run yet.")).toBeVisible();
  await expectNoAccessibilityViolations(page);

  // Ada exists (she signed in); the six other people of the directory do not yet.
  const row = (term: string) => page.locator(`dt:text-is("${term}") + dd`);
  await page.getByRole("button", { name: "Dry run" }).click();
  await expect(page.getByText("What a sync would change")).toBeVisible();
  await expect(row("Would create")).toHaveText("6");
  await expect(
    page.getByText("Create grace.hopper (grace.hopper@example.edu) as helpdesk"),
  ).toBeVisible();
  await expectNoAccessibilityViolations(page);

  await page.getByRole("button", { name: "Sync now" }).click();
  await expect(page.getByText("What changed")).toBeVisible();
  await expect(row("Created")).toHaveText("6");
  await expect(row("Disabled")).toHaveText("0");
  await expect(row("Outcome")).toHaveText("Completed");
  await expectNoAccessibilityViolations(page);
});

test("someone who left the directory is disabled at the next sync, and the console can keep them disabled when they come back", async ({
  page,
}) => {
  const move = (from: string, to: string) =>
    directory.modify(
      [
        `dn: uid=old.expired,${from}`,
        "changetype: modrdn",
        "newrdn: uid=old.expired",
        "deleteoldrdn: 1",
        `newsuperior: ${to}`,
        "",
      ].join("\n"),
    );
  const people = "ou=people,dc=example,dc=edu";
  const elsewhere = "ou=services,dc=example,dc=edu";
  const row = (term: string) => page.locator(`dt:text-is("${term}") + dd`);
  const syncNow = async () => {
    await page.goto("/admin/directory");
    await page.getByRole("button", { name: "Sync now" }).click();
    await expect(page.getByText("What changed")).toBeVisible();
    await expect(row("Outcome")).toHaveText("Completed");
  };
  await signIn(page, admin);
  await move(people, elsewhere);
  await syncNow();
  await expect(row("Disabled")).toHaveText("1");
  await expect(
    page.getByText("Disable old.expired@example.edu: no longer in the directory"),
  ).toBeVisible();

  await page.goto("/admin/users");
  await page.getByRole("searchbox", { name: "Search users" }).fill("old.expired@example.edu");
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await page.getByRole("table").getByRole("link").first().click();
  await expect(
    page.getByText("Disabled: no longer in the directory (enabled again if they come back)"),
  ).toBeVisible();
  const personPage = page.url();
  await expectNoAccessibilityViolations(page);
  await page.getByRole("button", { name: "Keep disabled", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Keep disabled" });
  await dialog.getByRole("textbox", { name: "Reason" }).fill("Left the university");
  await dialog.getByRole("button", { name: "Confirm" }).click();
  // The console's decision now: the button has gone with the dialog, and the reason is recorded.
  await expect(page.getByRole("button", { name: "Keep disabled", exact: true })).toHaveCount(0);
  await expect(page.getByRole("list", { name: "Helpdesk actions" })).toContainText(
    "Reason: Left the university",
  );

  // Back in the directory: the sync leaves the console's decision alone.
  await move(elsewhere, people);
  await syncNow();
  await expect(row("Updated")).toHaveText("0");
  await page.goto(personPage);
  await expect(page.getByRole("button", { name: "Enable account", exact: true })).toBeVisible();
  await expect(page.getByText("Disabled: no longer in the directory")).toHaveCount(0);
});
