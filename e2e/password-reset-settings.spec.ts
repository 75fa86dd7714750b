import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { createAccounts, type Account } from "./support/accounts";
import { startAppServer, type AppServer } from "./support/app-server";
import { freshCode } from "./support/authenticator";
import { createOwnDatabase } from "./support/database";
import {
  expectNoAccessibilityViolations,
  finishReset,
  mainAlert,
  passSecondStep,
  submitPassword,
} from "./support/helpers";
import { codeIn, latestMessage, waitForNewMessage } from "./support/outbox";
import { addTextPhone, e164Of } from "./support/phones";
import { signedIn } from "./support/signed-in";
import { E2E_PORT } from "./support/state";

// "Forgot my password" as the administrator sets it (R-A2.8): with the default two, a text to the
// person's phone as the second; then one method instead, or none at all — the helpdesk then. The
// number is organisation-wide, so this file runs its own server on a database of its own, whose
// texts may go a second apart; e2e/password-reset.spec.ts has more of the default two.
const PORT = E2E_PORT + 22;
const BASE_URL = `http://localhost:${PORT}`;
const run = String(Date.now() % 100_000).padStart(5, "0");
const NAMES = ["admin", "person", "texted"] as const;
let server: AppServer;
let ownDatabase: Awaited<ReturnType<typeof createOwnDatabase>>;
let accounts: Record<(typeof NAMES)[number], Account>;
const NEW_PASSWORD = "amber orchard whistle ninety";

test.beforeAll(async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "factor-e2e-"));
  ownDatabase = await createOwnDatabase(`factor_e2e_reset_${run}`);
  const env: Record<string, string> = ownDatabase ? { DATABASE_URL: ownDatabase.url } : {};
  const created = createAccounts(
    [
      { name: `reset-admin-${run}`, role: "admin", authenticator: true },
      { name: `reset-person-${run}`, authenticator: true },
      { name: `reset-texted-${run}`, authenticator: true },
    ],
    dataDir,
    { env, port: PORT },
  );
  accounts = Object.fromEntries(
    NAMES.map((name) => [name, created[`reset-${name}-${run}`]!]),
  ) as typeof accounts;
  server = await startAppServer({
    port: PORT,
    dataDir,
    env: { ...env, PHONE_SEND_INTERVAL_SECONDS: "1" },
  });
});
test.afterAll(async () => {
  await server?.stop();
  await ownDatabase?.drop();
});
test.use({ baseURL: BASE_URL });
test.describe.configure({ mode: "serial" });

async function newPage(browser: Browser): Promise<Page> {
  return (await browser.newContext({ baseURL: BASE_URL })).newPage();
}

/** The administrator sets how many methods a reset takes, in the console. */
async function requireMethods(admin: Page, count: number) {
  await admin.goto("/admin/settings");
  await admin
    .getByRole("spinbutton", { name: "Methods to prove for a self-service password reset" })
    .fill(String(count));
  await admin.getByRole("textbox", { name: "Reason" }).fill("Self-service reset policy");
  await admin.getByRole("button", { name: "Save settings" }).click();
  await expect(admin.getByRole("status")).toHaveText("Saved 1 setting.");
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

test("with two methods, a code texted to the phone counts once the app's code has passed (R-A2.8)", async ({
  browser,
}) => {
  const person = accounts.texted;
  // A number of this run's own: on PostgreSQL earlier runs' texts count against a number.
  const mobile = `07400 5${run}`;
  const e164 = e164Of(mobile);
  // The person has a phone that takes texts, added in Security info as anyone would.
  const own = await newPage(browser);
  await signedIn(own, person, "/security-info");
  await addTextPhone(own, mobile);

  const page = await newPage(browser);
  await startReset(page, person.email);
  await expect(page.getByRole("main")).toContainText("0 of 2 done");
  // Not before another method: whoever knows an email cannot have Factor text the owner.
  await expect(page.getByRole("button", { name: "Text a code to my phone" })).toHaveCount(0);
  await page.getByRole("button", { name: "Use a verification code" }).click();
  await page.getByRole("textbox", { name: "Code" }).fill(await freshCode(person.email, 0, PORT));
  await page.getByRole("button", { name: "Verify", exact: true }).click();
  await expect(page.getByRole("main")).toContainText("1 of 2 done");

  const text = await waitForNewMessage(page, { channel: "SMS", recipient: e164 }, async () => {
    await page.getByRole("button", { name: "Text a code to my phone" }).click();
    await expect(page.getByRole("textbox", { name: "Code" })).toBeVisible();
  });
  await expect(page.getByRole("main")).toContainText("we texted a 6-digit code");
  await expectNoAccessibilityViolations(page);
  const code = codeIn(text);
  await page.getByRole("textbox", { name: "Code" }).fill(code === "000000" ? "111111" : "000000");
  await page.getByRole("button", { name: "Verify", exact: true }).click();
  await expect(page.getByRole("textbox", { name: "Code" })).toHaveAccessibleDescription(
    "That code didn't work. Check it and try again.",
  );
  await page.getByRole("textbox", { name: "Code" }).fill(code);
  await page.getByRole("button", { name: "Verify", exact: true }).click();
  await expect(
    page.getByRole("heading", { level: 1, name: "Choose a new password" }),
  ).toBeVisible();
  await finishReset(page, NEW_PASSWORD);
  await expect(
    page.getByRole("heading", { level: 1, name: "Your password was reset" }),
  ).toBeVisible();
  // Signed out where it was signed in.
  await own.reload();
  await expect(own.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
});

test("with one method set in the console, the app's code alone resets the password, signs out the other browser and is audited", async ({
  browser,
}) => {
  const admin = await newPage(browser);
  await signedIn(admin, accounts.admin);
  await requireMethods(admin, 1);

  const person = accounts.person;
  const elsewhere = await newPage(browser);
  await signedIn(elsewhere, person, "/security-info");

  const page = await newPage(browser);
  await startReset(page, person.email);
  await expect(page.getByRole("main")).toContainText(
    "Prove it is you with one of your sign-in methods.",
  );
  await expect(page.getByRole("main")).not.toContainText("of 2 done");
  await expectNoAccessibilityViolations(page);
  // An unknown email is told exactly the same.
  const stranger = await newPage(browser);
  await startReset(stranger, `nobody-${run}@example.edu`);
  expect(await stranger.getByRole("main").innerText()).toBe(
    await page.getByRole("main").innerText(),
  );

  await page.getByRole("button", { name: "Use a verification code" }).click();
  await page.getByRole("textbox", { name: "Code" }).fill(await freshCode(person.email, 0, PORT));
  await page.getByRole("button", { name: "Verify", exact: true }).click();
  // One is enough: straight to the new password.
  await expect(
    page.getByRole("heading", { level: 1, name: "Choose a new password" }),
  ).toBeVisible();
  // The password policy applies here as everywhere.
  await finishReset(page, "short");
  await expect(page.getByLabel("New password", { exact: true })).toHaveAttribute(
    "aria-invalid",
    "true",
  );
  await finishReset(page, NEW_PASSWORD);
  await expect(
    page.getByRole("heading", { level: 1, name: "Your password was reset" }),
  ).toBeVisible();

  // The other browser is signed out, and the owner is told.
  await elsewhere.reload();
  await expect(elsewhere.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
  await latestMessage(page, {
    channel: "Email",
    recipient: person.email,
    subject: "Your password was changed",
  });

  // The old password is refused; the new one still asks for the second step.
  await page.goto("/signin");
  await submitPassword(page, person.email, person.password);
  await expect(mainAlert(page)).toHaveText("Your account or password is incorrect.");
  await submitPassword(page, person.email, NEW_PASSWORD);
  await expect(page.getByRole("heading", { level: 1, name: "Enter code" })).toBeVisible();
  await passSecondStep(page, person.email);
  await expect(page.getByRole("heading", { level: 1, name: "Stay signed in?" })).toBeVisible();

  // The console's audit log has the reset, with the method it took.
  await admin.goto(
    `/admin/audit?subject=${encodeURIComponent(person.email)}&action=auth.password_reset.completed`,
  );
  const rows = admin.getByRole("table", { name: "Audit entries" }).getByRole("row");
  await expect(rows.filter({ hasText: "success" })).toContainText("methods: code");
});

test("with none set, 'Forgot my password' sends the person to the helpdesk and starts no reset", async ({
  browser,
}) => {
  const admin = await newPage(browser);
  await signedIn(admin, accounts.admin);
  await requireMethods(admin, 0);

  const page = await newPage(browser);
  await page.goto("/signin");
  await page.getByRole("link", { name: "Forgot my password" }).click();
  await expect(
    page.getByRole("heading", { level: 1, name: "Forgot your password?" }),
  ).toBeVisible();
  await expect(page.getByRole("main")).toContainText("Contact the helpdesk at");
  await expect(page.getByRole("textbox", { name: "Email" })).toHaveCount(0);
  await expectNoAccessibilityViolations(page);
  // Going straight to a later step leads nowhere either.
  await page.goto("/reset-password/verify");
  await expect(
    page.getByRole("heading", { level: 1, name: "Forgot your password?" }),
  ).toBeVisible();
  // Help says the same.
  await page.goto("/help#forgot-password");
  const answer = page.getByRole("region", { name: "I forgot my password. How do I get back in?" });
  await expect(answer).toContainText("Contact the helpdesk at");
  await expect(answer.getByRole("link", { name: "Forgot my password" })).toHaveCount(0);
});
