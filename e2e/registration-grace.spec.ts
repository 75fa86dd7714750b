import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { createAccounts, type Account } from "./support/accounts";
import { startAppServer, type AppServer } from "./support/app-server";
import { completeAuthenticatorWizard } from "./support/authenticator";
import { createOwnDatabase } from "./support/database";
import { expectNoAccessibilityViolations, signIn, submitPassword } from "./support/helpers";
import { E2E_PORT } from "./support/state";

// The registration grace period (docs/decisions/0022): an administrator lets people postpone
// setting up MFA twice; a person without a method answers "Ask me later" twice, seeing the count
// go down, and the third time must register. The overview charts how many people have a method.
// The grace period is organisation-wide, so this file runs its own server on a database of its own.
const PORT = E2E_PORT + 20;
const BASE_URL = `http://localhost:${PORT}`;
const run = String(Date.now() % 100_000).padStart(5, "0");
const NAMES = ["admin", "later"] as const;
const CHART = "People with a registered sign-in method, by role, over the last 90 days";
let server: AppServer;
let ownDatabase: Awaited<ReturnType<typeof createOwnDatabase>>;
let accounts: Record<(typeof NAMES)[number], Account>;

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "factor-e2e-"));
  ownDatabase = await createOwnDatabase(`factor_e2e_grace_${run}`);
  // No demo people: the overview's counts are of this file's two people alone.
  const env: Record<string, string> = {
    SEED_DEMO: "false",
    ...(ownDatabase ? { DATABASE_URL: ownDatabase.url } : {}),
  };
  const created = createAccounts(
    [{ name: `grace-admin-${run}`, role: "admin", authenticator: true }, `grace-later-${run}`],
    dataDir,
    { env, port: PORT },
  );
  accounts = Object.fromEntries(
    NAMES.map((name) => [name, created[`grace-${name}-${run}`]!]),
  ) as typeof accounts;
  server = await startAppServer({ port: PORT, dataDir, env });
});
test.afterAll(async () => {
  await server?.stop();
  await ownDatabase?.drop();
});
test.use({ baseURL: BASE_URL });

const heading = (page: Page, name: string) => page.getByRole("heading", { level: 1, name });

async function newPage(browser: Browser) {
  const context = await browser.newContext({ baseURL: BASE_URL });
  return context.newPage();
}

/** The password; then "More information required", as for anyone without a method. */
async function toMoreInformation(page: Page, account: Account) {
  await page.goto("/signin");
  await submitPassword(page, account.email, account.password);
  await expect(heading(page, "More information required")).toBeVisible();
}

test("an administrator lets people with the user role postpone registering twice", async ({
  browser,
}) => {
  const page = await newPage(browser);
  await signIn(page, accounts.admin);
  await page.goto("/admin/settings");
  const section = page.getByRole("group", { name: "Registration grace period" });
  await expect(
    section.getByRole("spinbutton", { name: "Times a person may postpone" }),
  ).toHaveValue("");
  await expect(
    section.getByRole("checkbox", { name: "Everyone with the user role" }),
  ).not.toBeChecked();
  await expectNoAccessibilityViolations(page);

  await section.getByRole("spinbutton", { name: "Times a person may postpone" }).fill("2");
  await section.getByRole("checkbox", { name: "Everyone with the user role" }).check();
  await page.getByRole("textbox", { name: "Reason" }).fill("MFA rollout: two weeks' grace");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByRole("main").getByRole("status")).toHaveText("Saved 2 settings.");
  await page.reload();
  await expect(
    section.getByRole("spinbutton", { name: "Times a person may postpone" }),
  ).toHaveValue("2");
});

test("a person without a method postpones twice, seeing the count go down, then must register", async ({
  browser,
}) => {
  const page = await newPage(browser);
  const person = accounts.later;
  for (const left of ["2 more times", "1 more time"]) {
    await toMoreInformation(page, person);
    await expect(page.getByText(`You can postpone this ${left}.`)).toBeVisible();
    await expectNoAccessibilityViolations(page);
    await page.getByRole("button", { name: "Ask me later" }).click();
    // Signed in with the password alone, for this one session: never "Stay signed in?".
    await expect(heading(page, "Security info")).toBeVisible();
    await page.goto("/sign-ins");
    const latest = page
      .getByRole("list", { name: "Recent sign-ins" })
      .getByRole("listitem")
      .first();
    await expect(latest).toContainText("Successful sign-in");
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await expect(heading(page, "Sign in")).toBeVisible();
  }

  await toMoreInformation(page, person);
  await expect(page.getByRole("button", { name: "Ask me later" })).toHaveCount(0);
  await expect(page.getByText(/You can postpone this/)).toHaveCount(0);
  await expectNoAccessibilityViolations(page);
  await page.getByRole("button", { name: "Next" }).click();
  await completeAuthenticatorWizard(page, person.email);
  await page.getByRole("button", { name: "Done" }).click();
  await expect(heading(page, "Stay signed in?")).toBeVisible();
  await page.getByRole("button", { name: "No" }).click();
  await expect(heading(page, "Security info")).toBeVisible();
});

test("the overview charts who has a method, with a text equivalent; the person's page tells the postponements", async ({
  browser,
}) => {
  const page = await newPage(browser);
  await signIn(page, accounts.admin);
  await page.goto("/admin");
  await expect(heading(page, "Overview")).toBeVisible();
  await expect(
    page.getByText("Registration grace period: on. People may postpone it 2 times."),
  ).toBeVisible();

  const today = page.getByRole("table", { name: "Registration today, by role" });
  await expect(today.getByRole("row", { name: /^User / })).toContainText("100%");
  await expect(today.getByRole("row", { name: /^Administrator / })).toContainText("100%");
  const chart = page.getByRole("img", { name: CHART });
  await expect(chart).toBeVisible();
  // Both people registered today: the summary ends on today's counts.
  await expect(chart).toHaveAccessibleDescription(/User: 0 on .*, 1 on .*\./);
  await page.getByText("Show the chart's data").click();
  const data = page.getByRole("table", { name: `${CHART}, week by week` });
  await expect(data.getByRole("row")).toHaveCount(1 + 13);
  await expect(data.getByRole("row").last()).toContainText("1");
  await expectNoAccessibilityViolations(page);

  await page.goto("/admin/users");
  await page.getByRole("searchbox", { name: "Search users" }).fill(accounts.later.email);
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await page.getByRole("link", { name: `Test grace-later-${run}` }).click();
  await expect(heading(page, `Test grace-later-${run}`)).toBeVisible();
  await expect(page.getByRole("main")).toContainText(
    "Yes, as everyone with the user role. Postponed 2 times so far.",
  );
  await expect(page.getByRole("button", { name: "Allow postponing registration" })).toBeVisible();
  await expectNoAccessibilityViolations(page);
});
