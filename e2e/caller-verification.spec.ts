import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test, type Browser, type Locator, type Page } from "@playwright/test";
import { createAccounts, type Account } from "./support/accounts";
import { startAppServer, type AppServer } from "./support/app-server";
import { answerOnPhone, checkForNotifications, openPairedPhone } from "./support/companion";
import { createOwnDatabase } from "./support/database";
import { expectNoAccessibilityViolations } from "./support/helpers";
import { codeIn, waitForNewMessage } from "./support/outbox";
import { addTextPhone, e164Of } from "./support/phones";
import { signedIn } from "./support/signed-in";
import { E2E_PORT } from "./support/state";

// "Verify identity" on a person's page (R-A10.4): the helpdesk checks a caller with the person's
// own phone — a request to their Authenticator app, or a code texted to them that the caller
// reads back — or with a code emailed to their alternate email, and an administrator can require
// such a check before a password reset. One
// browser context is the agent's console, another the person's phone. Requiring the check is
// organisation-wide, so this file runs its own server on a database of its own.
const PORT = E2E_PORT + 16;
const BASE_URL = `http://localhost:${PORT}`;
const run = String(Date.now() % 100_000).padStart(5, "0");
const NAMES = ["agent", "admin", "pushed", "texted", "emailed", "reset"] as const;
let server: AppServer;
let ownDatabase: Awaited<ReturnType<typeof createOwnDatabase>>;
let accounts: Record<(typeof NAMES)[number], Account>;
// A number of this run's own: on PostgreSQL earlier runs' texts count against a number.
const mobile = `07400 4${run}`;
const e164 = e164Of(mobile);

test.beforeAll(async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "factor-e2e-"));
  ownDatabase = await createOwnDatabase(`factor_e2e_verify_${run}`);
  const env: Record<string, string> = ownDatabase ? { DATABASE_URL: ownDatabase.url } : {};
  const created = createAccounts(
    [
      { name: `verify-agent-${run}`, role: "helpdesk", authenticator: true },
      { name: `verify-admin-${run}`, role: "admin", authenticator: true },
      { name: `verify-pushed-${run}`, phone: "Pixel" },
      { name: `verify-texted-${run}`, authenticator: true },
      { name: `verify-emailed-${run}`, authenticator: true },
      { name: `verify-reset-${run}`, phone: "Pixel" },
    ],
    dataDir,
    { env, port: PORT },
  );
  accounts = Object.fromEntries(
    NAMES.map((name) => [name, created[`verify-${name}-${run}`]!]),
  ) as typeof accounts;
  // Texts a second apart: the person's own phone registration and the agent's code follow at once.
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

const displayName = (account: Account) => `Test ${account.email.split("@")[0]}`;

async function signedInPage(browser: Browser, account: Account, where = "/"): Promise<Page> {
  const context = await browser.newContext({ baseURL: BASE_URL });
  const page = await context.newPage();
  await signedIn(page, account, where);
  return page;
}

/** The agent finds the person by their email and opens their page. */
async function openPerson(agent: Page, person: Account) {
  const name = displayName(person);
  await agent.goto("/admin/users");
  await agent.getByRole("searchbox", { name: "Search users" }).fill(person.email);
  await agent.getByRole("button", { name: "Search", exact: true }).click();
  await agent.getByRole("link", { name }).click();
  await expect(agent.getByRole("heading", { level: 1, name })).toBeVisible();
}

async function openVerifyDialog(agent: Page): Promise<Locator> {
  await agent.getByRole("button", { name: "Verify identity", exact: true }).click();
  const dialog = agent.getByRole("dialog", { name: "Verify identity" });
  await expect(dialog).toBeVisible();
  return dialog;
}

async function closeDialog(dialog: Locator) {
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();
}

/** "Send a request to their app": the number the agent reads to the caller. */
async function sendRequest(dialog: Locator): Promise<string> {
  await dialog.getByRole("button", { name: "Send a request to their app" }).click();
  const number = dialog.getByLabel("Number to read to the caller");
  await expect(number).toHaveText(/^\d{2}$/);
  return (await number.textContent())!;
}

/** The person's phone shows the helpdesk's request, and the person answers it. */
async function answerRequest(phone: Page, answer: { approve: string } | "deny") {
  await expect.poll(async () => (await checkForNotifications(phone)).length).toBe(1);
  const answered = await answerOnPhone(phone, answer, { helpdesk: true });
  expect(answered.status).toBe(200);
  return answered.result;
}

test("a request to the person's app, approved with the number the agent reads out, verifies the caller; a denial is shown (R-A10.4, R-A6.1)", async ({
  browser,
}) => {
  const person = accounts.pushed;
  const agent = await signedInPage(browser, accounts.agent);
  await openPerson(agent, person);
  const dialog = await openVerifyDialog(agent);
  await expectNoAccessibilityViolations(agent);
  // Only what the person can receive: no phone takes texts, and no alternate email.
  await expect(dialog.getByRole("button", { name: "Text a code" })).toHaveCount(0);
  await expect(dialog.getByRole("button", { name: "Email a code" })).toHaveCount(0);

  const phone = await openPairedPhone(
    await browser.newContext({ baseURL: BASE_URL }),
    person.phone!,
  );

  // The person was not expecting it and denies: the agent sees it, and nothing is verified.
  await sendRequest(dialog);
  await expect(
    dialog.getByRole("status").filter({ hasText: "Waiting for them to approve on their phone…" }),
  ).toBeVisible();
  await expect.poll(async () => (await checkForNotifications(phone)).length).toBe(1);
  await expect(phone.getByText("Approve only if you are on a call with them")).toBeVisible();
  await expect(phone.getByText(displayName(accounts.agent), { exact: true })).toBeVisible();
  expect(await answerRequest(phone, "deny")).toBe("denied");
  await expect(dialog.getByRole("alert")).toHaveText("They denied the request on their phone.");
  await closeDialog(dialog);
  await expect(
    agent.getByText(/^Not verified: the request to their app was denied at \d\d:\d\d UTC/),
  ).toBeVisible();
  await expect(agent.getByText(/^Verified by/)).toHaveCount(0);

  // Asked again while on the call: the number the agent reads out, typed on the phone.
  await openVerifyDialog(agent);
  const number = await sendRequest(dialog);
  expect(await answerRequest(phone, { approve: number })).toBe("approved");
  await expect(phone.getByText("Approved. The helpdesk can see that it's you.")).toBeVisible();
  await expect(
    dialog
      .getByRole("status")
      .filter({ hasText: "Approved on their phone: the caller is verified." }),
  ).toBeVisible();
  await expectNoAccessibilityViolations(agent);
  await closeDialog(dialog);
  await expect(agent.getByText(/^Verified by push at \d\d:\d\d UTC by you/)).toBeVisible();
  const history = agent.getByRole("list", { name: "Helpdesk actions" });
  await expect(history).toContainText("Caller verified as the person by the helpdesk");
  await expect(history).toContainText("Caller not verified: the check was refused or failed");

  // Every agent sees it.
  const colleague = await signedInPage(browser, accounts.admin);
  await openPerson(colleague, person);
  await expect(
    colleague.getByText(
      new RegExp(`^Verified by push at \\d\\d:\\d\\d UTC by ${displayName(accounts.agent)}`),
    ),
  ).toBeVisible();
});

test("a code texted to the person and read back by the caller verifies them; a wrong code is refused (R-A10.4)", async ({
  browser,
}) => {
  const person = accounts.texted;
  // The person has a phone that takes texts, added in Security info as anyone would.
  await addTextPhone(await signedInPage(browser, person, "/security-info"), mobile);

  const agent = await signedInPage(browser, accounts.agent);
  await openPerson(agent, person);
  const dialog = await openVerifyDialog(agent);
  // No paired phone: no request to an app.
  await expect(dialog.getByRole("button", { name: "Send a request to their app" })).toHaveCount(0);
  await expect(dialog.getByRole("button", { name: "Email a code" })).toHaveCount(0);
  const text = await waitForNewMessage(agent, { channel: "SMS", recipient: e164 }, async () => {
    await dialog.getByRole("button", { name: "Text a code" }).click();
    await expect(dialog.getByRole("status")).toContainText("A code was texted to");
  });
  expect(text.body).toMatch(/helpdesk/);
  const code = codeIn(text);
  await expectNoAccessibilityViolations(agent);

  const field = dialog.getByRole("textbox", { name: "Code the caller reads" });
  await field.fill(code === "000000" ? "111111" : "000000");
  await dialog.getByRole("button", { name: "Check" }).click();
  await expect(dialog.getByRole("alert")).toContainText("That code is wrong.");
  await expect(agent.getByText(/^Verified by/)).toHaveCount(0);
  await expectNoAccessibilityViolations(agent);

  await field.fill(code);
  await dialog.getByRole("button", { name: "Check" }).click();
  await expect(dialog.getByText("That's the code: the caller is verified.")).toBeVisible();
  await closeDialog(dialog);
  await expect(agent.getByText(/^Verified by text at \d\d:\d\d UTC by you/)).toBeVisible();
});

test("a code emailed to the person's alternate email, never the account's own, and read back verifies them (R-A10.4)", async ({
  browser,
}) => {
  const person = accounts.emailed;
  const home = `${person.email.split("@")[0]}.home@example.org`;
  // The person adds a personal address in Security info, as anyone would.
  const own = await signedInPage(browser, person, "/security-info");
  await own
    .getByRole("region", { name: "Alternate email" })
    .getByRole("button", { name: "Add alternate email" })
    .click();
  const enrolment = await waitForNewMessage(
    own,
    { channel: "Email", recipient: home },
    async () => {
      await own.getByRole("textbox", { name: "Alternate email" }).fill(home);
      await own.getByRole("button", { name: "Send code" }).click();
      await expect(own.getByRole("textbox", { name: "Code" })).toBeVisible();
    },
  );
  await own.getByRole("textbox", { name: "Code" }).fill(/\b(\d{8})\b/.exec(enrolment.body)![1]!);
  await own.getByRole("button", { name: "Verify" }).click();
  await expect(own.getByRole("main").getByRole("status")).toHaveText(
    "Your alternate email was verified.",
  );

  const agent = await signedInPage(browser, accounts.agent);
  await openPerson(agent, person);
  const dialog = await openVerifyDialog(agent);
  // No paired phone and no phone for texts: the alternate email is what is left.
  await expect(dialog.getByRole("button", { name: "Send a request to their app" })).toHaveCount(0);
  await expect(dialog.getByRole("button", { name: "Text a code" })).toHaveCount(0);
  await expect(dialog).toContainText(`To ${home[0]}•••@example.org`);
  await expectNoAccessibilityViolations(agent);
  const email = await waitForNewMessage(agent, { channel: "Email", recipient: home }, async () => {
    await dialog.getByRole("button", { name: "Email a code" }).click();
    await expect(dialog.getByRole("status")).toContainText(
      `A code was emailed to ${home[0]}•••@example.org`,
    );
  });
  expect(email.body).toMatch(/helpdesk/);
  expect(email.body).not.toMatch(/https?:\/\//);
  const code = /\b(\d{8})\b/.exec(email.body)![1]!;

  const field = dialog.getByRole("textbox", { name: "Code the caller reads" });
  await field.fill(code.slice(0, 6));
  await dialog.getByRole("button", { name: "Check" }).click();
  await expect(field).toHaveAccessibleDescription("Enter the 8 digits the caller reads to you.");
  await expectNoAccessibilityViolations(agent);
  await field.fill(code);
  await dialog.getByRole("button", { name: "Check" }).click();
  await expect(dialog.getByText("That's the code: the caller is verified.")).toBeVisible();
  await closeDialog(dialog);
  await expect(agent.getByText(/^Verified by email at \d\d:\d\d UTC by you/)).toBeVisible();
});

test("with caller verification required, a password reset is refused until the agent has verified the caller (R-A10.4)", async ({
  browser,
}) => {
  const admin = await signedInPage(browser, accounts.admin, "/admin/settings");
  const rule = admin.getByRole("checkbox", {
    name: "Require caller verification before a password reset, a Temporary Access Pass or an MFA reset",
  });
  await expect(rule).not.toBeChecked();
  await rule.check();
  await admin.getByRole("textbox", { name: "Reason" }).fill("Helpdesk calls are checked first");
  await admin.getByRole("button", { name: "Save settings" }).click();
  await expect(admin.getByRole("status")).toHaveText("Saved 1 setting.");

  const person = accounts.reset;
  const agent = await signedInPage(browser, accounts.agent);
  await openPerson(agent, person);

  const resetButton = agent.getByRole("button", { name: "Reset password", exact: true });
  const reset = agent.getByRole("dialog", { name: "Reset password" });
  await resetButton.click();
  await expect(reset).toContainText("Your organisation requires you to verify the caller first");
  await reset.getByRole("textbox", { name: "Reason" }).fill("Forgot their password");
  await reset.getByRole("button", { name: "Confirm" }).click();
  await expect(reset.getByRole("alert")).toContainText(
    "Verify the caller first, with “Verify identity”",
  );
  await expect(reset.getByText("Temporary password:")).toHaveCount(0);
  await closeDialog(reset);

  const dialog = await openVerifyDialog(agent);
  const phone = await openPairedPhone(
    await browser.newContext({ baseURL: BASE_URL }),
    person.phone!,
  );
  const number = await sendRequest(dialog);
  expect(await answerRequest(phone, { approve: number })).toBe("approved");
  await expect(
    dialog
      .getByRole("status")
      .filter({ hasText: "Approved on their phone: the caller is verified." }),
  ).toBeVisible();
  await closeDialog(dialog);
  await expect(agent.getByText(/^Verified by push at/)).toBeVisible();

  await resetButton.click();
  await expect(reset).not.toContainText("Your organisation requires you to verify the caller");
  await reset.getByRole("textbox", { name: "Reason" }).fill("Forgot their password");
  await reset.getByRole("button", { name: "Confirm" }).click();
  await expect(reset.getByRole("status")).toContainText("The password was reset");
  await expect(reset.getByText("Temporary password:")).toBeVisible();
  await closeDialog(reset);

  // The refusal and the reset are in the audit log; the reset cites the check.
  await agent.goto(
    `/admin/audit?subject=${encodeURIComponent(person.email)}&action=admin.password.reset`,
  );
  const rows = agent.getByRole("table", { name: "Audit entries" }).getByRole("row");
  await expect(rows.filter({ hasText: "denied" })).toContainText("refused: caller_not_verified");
  await expect(rows.filter({ hasText: "success" })).toContainText("verifiedBy: push");
});
