import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { createAccounts, type Account } from "./support/accounts";
import { startAppServer, type AppServer } from "./support/app-server";
import { completeAuthenticatorWizard, freshCode } from "./support/authenticator";
import { createOwnDatabase } from "./support/database";
import {
  expectNoAccessibilityViolations,
  mainAlert,
  signIn,
  submitPassword,
} from "./support/helpers";
import { codeIn, latestMessage, waitForNewMessage, type OutboxMessage } from "./support/outbox";
import { addTextPhone, e164Of } from "./support/phones";
import { E2E_PORT } from "./support/state";

// Lost every method (docs/decisions/0023): the password and a code to an alternate email verified
// a week ago, or to a phone that served a week and no longer does, start a waiting period told to
// every channel with a cancel link. A cancel changes nothing; after the wait (1 minute here, an
// administrator's setting) the password alone leads to registration and a new method; the
// password alone, or the inbox alone, goes nowhere. The waiting period is organisation-wide, so
// this file runs its own server on its own database.
const PORT = E2E_PORT + 21;
const BASE_URL = `http://localhost:${PORT}`;
const run = String(Date.now() % 100_000).padStart(5, "0");
const WAIT_MINUTES = 1;
let server: AppServer;
let ownDatabase: Awaited<ReturnType<typeof createOwnDatabase>>;
let cancelling: Account;
let waiting: Account;
let helpdesk: Account;
const home = (account: Account) => account.email.replace("@example.edu", ".home@example.org");
/** The waiting person's phone until 10 days ago, after serving 20 days as a method. */
const FORMER_PHONE = `07400 7${run}`;
const SPARE_PHONE = `07400 8${run}`;

// Each test waits out real minutes: the spacing of emailed codes and the waiting period.
test.describe.configure({ mode: "serial", timeout: 300_000 });

test.beforeAll(async () => {
  // Accounts, the seeding and a server start: slow on a busy machine.
  test.setTimeout(240_000);
  const dataDir = mkdtempSync(path.join(tmpdir(), "factor-e2e-"));
  ownDatabase = await createOwnDatabase(`factor_e2e_recovery_${run}`);
  const env: Record<string, string> = ownDatabase ? { DATABASE_URL: ownDatabase.url } : {};
  const names = [`recover-cancel-${run}`, `recover-wait-${run}`];
  const agentName = `recover-agent-${run}`;
  const created = createAccounts(
    [
      ...names.map((name) => ({ name, authenticator: true })),
      { name: agentName, role: "helpdesk" as const, authenticator: true },
    ],
    dataDir,
    { env, port: PORT },
  );
  [cancelling, waiting] = names.map((name) => created[name]!) as [Account, Account];
  helpdesk = created[agentName]!;
  const seeded = spawnSync("npx", ["tsx", "e2e/support/seed-recovery.ts"], {
    env: { ...process.env, DATA_DIR: dataDir, ...env },
    input: JSON.stringify({
      waitMinutes: WAIT_MINUTES,
      people: [
        { email: cancelling.email, alternate: home(cancelling) },
        { email: waiting.email, alternate: home(waiting), formerPhone: e164Of(FORMER_PHONE) },
      ],
    }),
    encoding: "utf8",
  });
  if (seeded.status !== 0) throw new Error(`seeding failed:\n${seeded.stdout}${seeded.stderr}`);
  server = await startAppServer({ port: PORT, dataDir, env });
});
test.afterAll(async () => {
  await server?.stop();
  await ownDatabase?.drop();
});
test.use({ baseURL: BASE_URL });

const heading = (page: Page, name: string) => page.getByRole("heading", { level: 1, name });

async function newPage(browser: Browser) {
  return (await browser.newContext({ baseURL: BASE_URL })).newPage();
}

function emailedCode(message: OutboxMessage): string {
  const code = /\b(\d{8})\b/.exec(message.body)?.[1];
  if (!code) throw new Error(`no 8-digit code in: ${message.body}`);
  return code;
}

/** "Recover your account": email and password, "Next". */
async function proveSecret(page: Page, email: string, password: string) {
  await page.goto("/recover");
  await expect(heading(page, "Recover your account")).toBeVisible();
  await page.getByRole("textbox", { name: "Email" }).fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Next" }).click();
}

/** The owner's whole request: password, then the code from the alternate email's inbox. */
async function requestRecovery(page: Page, account: Account) {
  const message = await waitForNewMessage(
    page,
    { channel: "Email", recipient: home(account), body: "to recover your account" },
    () => proveSecret(page, account.email, account.password),
  );
  await expect(heading(page, "Verify your identity")).toBeVisible();
  await page.getByRole("textbox", { name: "Code" }).fill(emailedCode(message));
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(heading(page, "Recovery requested")).toBeVisible();
}

/** On "Verify your identity": texts a code to a number the person used before. */
async function textFormerPhone(page: Page, national: string) {
  await page.getByRole("textbox", { name: "Phone number you used before" }).fill(national);
  await page.getByRole("button", { name: "Text a code" }).click();
  await expect(page.getByRole("main").getByRole("status")).toContainText(
    "If that number was one of your sign-in methods for at least 7 days, we texted a 6-digit code",
  );
}

/** The owner's request by the phone they used before: password, then the texted code. */
async function requestRecoveryByFormerPhone(page: Page, account: Account) {
  await proveSecret(page, account.email, account.password);
  await expect(heading(page, "Verify your identity")).toBeVisible();
  const text = await waitForNewMessage(
    page,
    { channel: "SMS", recipient: e164Of(FORMER_PHONE) },
    () => textFormerPhone(page, FORMER_PHONE),
  );
  await expectNoAccessibilityViolations(page);
  await page.getByRole("textbox", { name: "Code" }).fill(codeIn(text));
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(heading(page, "Recovery requested")).toBeVisible();
}

/** The password step, then what it leads to. */
async function signInWithPassword(page: Page, account: Account) {
  await page.goto("/signin");
  await submitPassword(page, account.email, account.password);
}

test("attackers with only the inbox or only the password get nowhere; a cancel changes nothing", async ({
  page,
  browser,
}) => {
  // Help's answer for a lost phone leads here, signed out, with this organisation's wait.
  await page.goto("/help#lost-phone");
  const answer = page.getByRole("region", {
    name: "I lost my phone, or it was stolen. What do I do?",
  });
  await expect(answer).toContainText(`reset after ${WAIT_MINUTES} minute`);
  await answer.getByRole("link", { name: "Recover your account" }).click();
  await expect(heading(page, "Recover your account")).toBeVisible();
  await expectNoAccessibilityViolations(page);

  // Only the inbox: without the password the first step refuses, as sign-in does.
  await proveSecret(page, cancelling.email, "not the password at all");
  await expect(mainAlert(page)).toHaveText("Your account or password is incorrect.");
  await expectNoAccessibilityViolations(page);

  // Only the password: the code goes to the owner's inbox; a guess is refused and starts nothing.
  const attacker = await newPage(browser);
  await proveSecret(attacker, cancelling.email, cancelling.password);
  await expect(heading(attacker, "Verify your identity")).toBeVisible();
  await expectNoAccessibilityViolations(attacker);
  await attacker.getByRole("textbox", { name: "Code" }).fill("12345678");
  await attacker.getByRole("button", { name: "Verify" }).click();
  await expect(attacker.getByRole("textbox", { name: "Code" })).toHaveAccessibleDescription(
    "The 8-digit code we emailed, or the 6-digit code we texted. " +
      "That code didn't work. Check it and try again.",
  );
  await expect(heading(attacker, "Recovery requested")).toHaveCount(0);
  // A number that was never the owner's gets the same answer, and no text.
  await textFormerPhone(attacker, "07400 999999");
  await expectNoAccessibilityViolations(attacker);

  // The owner (both proofs) asks; a minute later, the spacing of emailed codes allows another.
  await page.waitForTimeout(61_000);
  await requestRecovery(page, cancelling);
  await expectNoAccessibilityViolations(page);
  let notice: OutboxMessage | undefined;
  for (const recipient of [cancelling.email, home(cancelling)]) {
    notice = await latestMessage(page, {
      channel: "Email",
      recipient,
      subject: "Someone asked to reset your sign-in methods",
    });
    expect(notice.body).toContain("/recover/cancel#");
  }
  const link = /(https?:\/\/\S+\/recover\/cancel#\S+)/.exec(notice!.body)![1]!;

  // The cancel needs nothing but the message: a fresh browser, signed in to nothing.
  const reader = await newPage(browser);
  await reader.goto(link.replace(/^https?:\/\/[^/]+/, BASE_URL));
  await expect(heading(reader, "Cancel account recovery")).toBeVisible();
  await expectNoAccessibilityViolations(reader);
  await reader.getByRole("button", { name: "Cancel recovery" }).click();
  await expect(reader.getByRole("main").getByRole("status")).toContainText(
    "The recovery was cancelled.",
  );
  await expectNoAccessibilityViolations(reader);
  // Single use.
  await reader.goto(link.replace(/^https?:\/\/[^/]+/, BASE_URL));
  await reader.getByRole("button", { name: "Cancel recovery" }).click();
  await expect(mainAlert(reader)).toContainText("This link no longer works");

  // Nothing changed: after the waiting period the password still needs the old method.
  await page.waitForTimeout(WAIT_MINUTES * 60_000 + 1_000);
  await signInWithPassword(page, cancelling);
  await expect(heading(page, "Enter code")).toBeVisible();
  await page
    .getByRole("textbox", { name: "Code" })
    .fill(await freshCode(cancelling.email, 0, PORT));
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(heading(page, "Stay signed in?")).toBeVisible();

  // Deleting a phone asks whether the person still has the number, clear unless they say so.
  await page.getByRole("button", { name: "No" }).click();
  await expect(page).not.toHaveURL(/stay-signed-in/);
  await page.goto("/security-info");
  await addTextPhone(page, SPARE_PHONE);
  await page.goto("/security-info");
  const methods = page.getByRole("list", { name: "Sign-in methods" });
  await methods.getByRole("button", { name: /^Delete Phone/ }).click();
  const dialog = page.getByRole("dialog", { name: /^Delete Phone/ });
  const keep = dialog.getByRole("checkbox", { name: "I still have this number" });
  await expect(keep).not.toBeChecked();
  await expect(keep).toHaveAccessibleDescription(
    /Leave this clear if the phone was lost or stolen/,
  );
  await expectNoAccessibilityViolations(page);
  await keep.check();
  await dialog.getByRole("button", { name: "Delete" }).click();
  await expect(methods.getByRole("button", { name: /^Delete Phone/ })).toHaveCount(0);
});

test("a phone used before proves it; after the wait the password alone leads to registration", async ({
  page,
  browser,
}) => {
  await requestRecoveryByFormerPhone(page, waiting);
  const notice = await latestMessage(page, {
    channel: "Email",
    recipient: waiting.email,
    subject: "Someone asked to reset your sign-in methods",
  });
  expect(notice.body).toContain("a code sent to a phone number you used before");

  // During the wait, the password alone still meets the old method.
  await signInWithPassword(page, waiting);
  await expect(heading(page, "Enter code")).toBeVisible();

  // The helpdesk sees the stage, and which proof started it.
  const agent = await newPage(browser);
  await signIn(agent, helpdesk);
  await agent.goto("/admin/users");
  await agent.getByRole("searchbox", { name: "Search users" }).fill(waiting.email);
  await agent.getByRole("button", { name: "Search", exact: true }).click();
  const name = `Test recover-wait-${run}`;
  await agent.getByRole("link", { name }).click();
  await expect(heading(agent, name)).toBeVisible();
  await expect(agent.getByRole("main")).toContainText(
    "Proven by the password and a code texted to a phone number used before.",
  );
  await expect(agent.getByRole("main")).toContainText("Waiting since");
  await expectNoAccessibilityViolations(agent);

  await page.waitForTimeout(WAIT_MINUTES * 60_000 + 1_000);
  await signInWithPassword(page, waiting);
  await expect(heading(page, "More information required")).toBeVisible();
  await expectNoAccessibilityViolations(page);
  await latestMessage(page, {
    channel: "Email",
    recipient: home(waiting),
    subject: "Your sign-in methods were reset",
  });
  await page.getByRole("button", { name: "Next" }).click();
  await completeAuthenticatorWizard(page, waiting.email, "New phone");
  await page.getByRole("button", { name: "Done" }).click();
  await expect(heading(page, "Stay signed in?")).toBeVisible();
  await page.getByRole("button", { name: "No" }).click();
  await expect(heading(page, "Security info")).toBeVisible();
  const methods = page.getByRole("list", { name: "Sign-in methods" });
  await expect(methods).toContainText("New phone");
  await expect(methods.getByRole("button", { name: /^Delete Authenticator app/ })).toHaveCount(1);
  await expectNoAccessibilityViolations(page);
});
