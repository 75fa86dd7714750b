import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { skipBackupAndCodes } from "./support/authenticator";
import { createAccounts } from "./support/accounts";
import { startAppServer, type AppServer, type DemoSignIn } from "./support/app-server";
import {
  expectNoAccessibilityViolations,
  mainAlert,
  signIn,
  submitPassword,
  submitSignInCode,
} from "./support/helpers";
import { codeIn, readOutbox, waitForNewMessage } from "./support/outbox";
import { E2E_PORT, mainDataDir } from "./support/state";

// What someone who already has a person's password tries against the second step. This file
// runs its own server with second-step pauses of a second or two, so an attacker's patience
// shows in seconds, and restarts it with email delivered for real but texts not.
const PORT = E2E_PORT + 15;
const BASE_URL = `http://localhost:${PORT}`;
const onPostgres = Boolean(process.env.DATABASE_URL);
const run = String(Date.now() % 100_000).padStart(5, "0");
const serverEnv = { MFA_PAUSE_SECONDS: "1", MFA_LOCK_SECONDS: "2" };
const LOCKED_SUBJECT = "Verification paused after failed attempts";
let server: AppServer;
let dataDir: string;
let accounts: Record<"cycler" | "phoneOnly" | "promoted" | "admin", DemoSignIn>;

test.beforeAll(async () => {
  // Four accounts, then a server start.
  test.setTimeout(120_000);
  dataDir = onPostgres ? mainDataDir() : mkdtempSync(path.join(tmpdir(), "factor-e2e-"));
  const created = createAccounts(
    [
      `cycler-${run}`,
      `phone-only-${run}`,
      `promoted-${run}`,
      { name: `attacks-admin-${run}`, role: "admin" },
    ],
    dataDir,
  );
  accounts = {
    cycler: created[`cycler-${run}`]!,
    phoneOnly: created[`phone-only-${run}`]!,
    promoted: created[`promoted-${run}`]!,
    admin: created[`attacks-admin-${run}`]!,
  };
  server = await startAppServer({ port: PORT, dataDir, env: serverEnv });
});
test.afterAll(async () => {
  await server?.stop();
});
test.use({ baseURL: BASE_URL });

async function signOut(page: Page) {
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
}

/** Enters a code and returns the alert the server answered with. */
async function tryCode(page: Page, code: string): Promise<string> {
  await submitSignInCode(page, code);
  // The form empties once the answer is shown: only then is the alert this code's.
  await expect(page.getByRole("textbox", { name: "Code" })).toHaveValue("");
  return mainAlert(page).innerText();
}

/** First sign-in: the wizard's "I want to set up a different method" → Phone, by text. */
async function registerPhoneOnly(page: Page, account: DemoSignIn, national: string) {
  await page.goto("/signin");
  await submitPassword(page, account.email, account.password);
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("button", { name: "I want to set up a different method" }).click();
  const dialog = page.getByRole("dialog");
  await dialog
    .getByRole("combobox", { name: "Which method would you like to use?" })
    .selectOption({ label: "Phone" });
  await dialog.getByRole("button", { name: "Confirm" }).click();
  await page.getByRole("textbox", { name: "Phone number" }).fill(national);
  await page.getByRole("radio", { name: "Receive a code" }).check();
  const e164 = `+44${national.replace(/\s/g, "").slice(1)}`;
  const text = await waitForNewMessage(page, { channel: "SMS", recipient: e164 }, () =>
    page.getByRole("button", { name: "Next" }).click(),
  );
  await page.getByRole("textbox", { name: "Code" }).fill(codeIn(text));
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByText("SMS verified")).toBeVisible();
  await page.getByRole("button", { name: "Next" }).click();
  await skipBackupAndCodes(page);
  await page.getByRole("button", { name: "Done" }).click();
  await page.getByRole("button", { name: "No" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Security info" })).toBeVisible();
  await signOut(page);
}

test("the same ten wrong codes, sent again and again, keep counting: the pauses return and the owner is told each time (R-A11.1, R-A11.2, R-A15.1)", async ({
  page,
}) => {
  test.setTimeout(180_000);
  const account = accounts.cycler;
  await signIn(page, account);
  await signOut(page);

  await submitPassword(page, account.email, account.password);
  await expect(page.getByRole("heading", { level: 1, name: "Enter code" })).toBeVisible();
  const cycle = Array.from({ length: 10 }, (_, i) => String(731_000 + i * 7));
  let pauses = 0;
  for (let round = 0; round < 3; round++) {
    for (const code of cycle) {
      const answer = await tryCode(page, code);
      expect(answer).toContain("That code didn't work.");
      // The attacker waits out every pause, so each try is checked and counted.
      const wait = /wait (\d+) seconds?/.exec(answer);
      if (wait) {
        pauses += 1;
        await page.waitForTimeout(Number(wait[1]) * 1000 + 300);
      }
    }
    // The first round pauses from the fifth wrong code on; every later one at each code.
    expect(pauses).toBe(6 + 10 * round);
  }
  // The owner heard of every lock, one a round, not only of the first.
  const told = await readOutbox(page, { recipient: account.email, subject: LOCKED_SUBJECT });
  expect(told).toHaveLength(3);
});

test("an agent role is refused to someone whose only method is a phone, and the console says why (R-A5.6, R-A1.5)", async ({
  page,
  browser,
}) => {
  const target = accounts.promoted;
  await registerPhoneOnly(page, target, `07400 6${run}`);

  const admin = await (await browser.newContext({ baseURL: BASE_URL })).newPage();
  await signIn(admin, accounts.admin);
  await admin.goto("/admin/users");
  await admin.getByRole("searchbox", { name: "Search users" }).fill(`promoted-${run}`);
  await admin.getByRole("button", { name: "Search", exact: true }).click();
  await admin.getByRole("link", { name: `Test promoted-${run}` }).click();
  await admin.getByRole("button", { name: "Change role", exact: true }).click();
  const dialog = admin.getByRole("dialog", { name: "Change role" });
  await expect(dialog).toContainText("text or call");
  await dialog
    .getByRole("combobox", { name: "New role" })
    .selectOption({ label: "Helpdesk agent" });
  await dialog.getByRole("textbox", { name: "Reason" }).fill("Joining the service desk");
  await dialog.getByRole("button", { name: "Confirm" }).click();
  await expect(dialog.getByRole("alert")).toContainText(
    "has no sign-in method a helpdesk agent may use",
  );
  await expectNoAccessibilityViolations(admin);
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await admin.reload();
  await expect(admin.getByText(`${target.email} · User · Active`)).toBeVisible();
  await admin.context().close();

  // Still a plain user, who still needs the phone to sign in.
  await page.goto("/signin");
  await submitPassword(page, target.email, target.password);
  await expect(page.getByRole("heading", { level: 1, name: "Enter code" })).toBeVisible();
});

test("with email delivered for real but texts not, a phone-only account is refused, neither let in on the password nor sent to register (R-A1.5, R-A9.2)", async ({
  page,
}) => {
  const account = accounts.phoneOnly;
  await registerPhoneOnly(page, account, `07400 5${run}`);

  // The operator sets up email and no text gateway: phone methods can no longer be used.
  await server.stop();
  server = await startAppServer({
    port: PORT,
    dataDir,
    env: { ...serverEnv, SMTP_URL: "smtp://127.0.0.1:9", SMTP_FROM: "factor@example.edu" },
  });

  // Someone with the password alone.
  await page.goto("/signin");
  await submitPassword(page, account.email, account.password);
  await expect(
    page.getByRole("heading", { level: 1, name: "You can't sign in right now" }),
  ).toBeVisible();
  await expect(page.getByRole("main")).toContainText("Text messages and calls can't be sent");
  await expect(page.getByRole("link", { name: "Use a Temporary Access Pass" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Next" })).toHaveCount(0);
  await expectNoAccessibilityViolations(page);

  // No way round it: not signed in, and no registration of a method of the attacker's choice.
  for (const where of ["/security-info", "/register", "/register/app/setup"]) {
    await page.goto(where);
    await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
  }
  await page.goto("/signin/verify/another-way");
  await expect(
    page.getByRole("heading", { level: 1, name: "You can't sign in right now" }),
  ).toBeVisible();
});
