import { expect, test, type Browser, type Page } from "@playwright/test";
import type { DemoSignIn } from "./support/app-server";
import { freshCode } from "./support/authenticator";
import { expectNoAccessibilityViolations, signIn, submitPassword } from "./support/helpers";
import { demoAccount, tester } from "./support/state";
import { signedIn } from "./support/signed-in";

// "Don't ask again" browsers (issue #13): each listed on Devices and on the person's page in the
// console, forgotten one at a time, with the session that came from it, and on every password
// event whoever causes it (R-A1.8, R-A9.4, R-A12.7, R-A13.2).

const FIREFOX_ON_MACOS =
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:128.0) Gecko/20100101 Firefox/128.0";
/** How the pages name that browser here: its kind and its place (a private network). */
const FIREFOX = "Firefox on macOS, Private network";

/** A browser of its own; a user agent makes it another kind of browser. */
async function newBrowser(browser: Browser, userAgent?: string): Promise<Page> {
  const context = await browser.newContext(userAgent ? { userAgent } : {});
  return context.newPage();
}

async function signOut(page: Page) {
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
}

/** Password, then a fresh code with "Don't ask again" ticked: this browser is remembered. */
async function signInRemembering(page: Page, account: DemoSignIn) {
  await page.goto("/signin");
  await submitPassword(page, account.email, account.password);
  await expect(page.getByRole("heading", { level: 1, name: "Enter code" })).toBeVisible();
  await page.getByRole("textbox", { name: "Code" }).fill(await freshCode(account.email));
  await page.getByRole("checkbox", { name: /^Don't ask again for \d+ days$/ }).check();
  await page.getByRole("button", { name: "Verify" }).click();
  await finishSignIn(page);
}

async function finishSignIn(page: Page) {
  await expect(page.getByRole("heading", { level: 1, name: "Stay signed in?" })).toBeVisible();
  await page.getByRole("button", { name: "No" }).click();
  await expect(page.getByRole("button", { name: "Sign out", exact: true })).toBeVisible();
}

/** The password alone; then what the browser is asked: a code, or nothing more ("skipped"). */
async function afterPassword(page: Page, account: DemoSignIn, password = account.password) {
  await page.goto("/signin");
  await submitPassword(page, account.email, password);
  const code = page.getByRole("heading", { level: 1, name: "Enter code" });
  const skipped = page.getByRole("heading", { level: 1, name: "Stay signed in?" });
  await expect(code.or(skipped)).toBeVisible();
  return (await code.isVisible()) ? "code" : "skipped";
}

function rememberedList(page: Page) {
  return page.getByRole("list", { name: "Remembered browsers" });
}

function status(page: Page) {
  return page.getByRole("main").getByRole("status");
}

/** A helpdesk agent finds the tester by name and opens their page. */
async function openUser(agent: Page, name: string) {
  await agent.goto("/admin/users");
  await agent.getByRole("searchbox", { name: "Search users" }).fill(name);
  await agent.getByRole("button", { name: "Search", exact: true }).click();
  await agent
    .getByRole("table")
    .getByRole("link", { name: `Test ${name}` })
    .click();
  await expect(agent.getByRole("heading", { level: 1, name: `Test ${name}` })).toBeVisible();
}

test("Devices lists the browsers that don't ask for a code; forgetting one leaves the other", async ({
  browser,
}) => {
  // Three sign-ins with a code, or two people signing in: more than a minute on a busy machine.
  test.slow();
  const account = tester("forget-one");
  const page = await newBrowser(browser);
  await signIn(page, account); // registers the app
  await signOut(page);
  await signInRemembering(page, account);
  const firefox = await newBrowser(browser, FIREFOX_ON_MACOS);
  await signInRemembering(firefox, account);

  await page
    .getByRole("navigation", { name: "Main" })
    .getByRole("link", { name: "Devices" })
    .click();
  await expect(
    page.getByRole("heading", { level: 2, name: "Browsers that don't ask for a code" }),
  ).toBeVisible();
  const remembered = rememberedList(page).getByRole("listitem");
  await expect(remembered).toHaveCount(2);
  await expect(remembered.filter({ hasText: "This browser" })).toHaveText(/^Chrome on \w+, /);
  await expect(remembered.filter({ hasText: FIREFOX })).toContainText("not used yet");
  await expectNoAccessibilityViolations(page);

  await page.getByRole("button", { name: `Forget ${FIREFOX}` }).click();
  await expect(status(page)).toHaveText("That browser will ask for a code at its next sign-in.");
  await expect(remembered).toHaveCount(1);
  await expect(remembered).toContainText("This browser");

  // The forgotten browser is asked for a code again; the other still is not.
  await signOut(firefox);
  expect(await afterPassword(firefox, account)).toBe("code");
  await signOut(page);
  expect(await afterPassword(page, account)).toBe("skipped");
});

test("'Forget all' on Devices: no browser skips the code any more", async ({ browser }) => {
  const account = tester("forget-all");
  const page = await newBrowser(browser);
  await signIn(page, account);
  await signOut(page);
  await signInRemembering(page, account);

  await page.goto("/devices");
  await expect(rememberedList(page).getByRole("listitem")).toHaveCount(1);
  await page.getByRole("button", { name: "Forget all" }).click();
  await expect(status(page)).toHaveText("Every browser will ask for a code at its next sign-in.");
  await expect(rememberedList(page)).toHaveCount(0);
  await expect(page.getByText("Every browser asks for a code when you sign in.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Forget all" })).toHaveCount(0);
  await expectNoAccessibilityViolations(page);

  await signOut(page);
  expect(await afterPassword(page, account)).toBe("code");
});

test("signing a device out from Devices forgets the browser it signed in from", async ({
  browser,
}) => {
  const account = tester("forget-by-session");
  const page = await newBrowser(browser);
  await signIn(page, account); // registers the app: this session's second factor is fresh
  const firefox = await newBrowser(browser, FIREFOX_ON_MACOS);
  await signInRemembering(firefox, account);
  // The next sign-in there skips the code: that session, too, came from the remembered browser.
  await signOut(firefox);
  expect(await afterPassword(firefox, account)).toBe("skipped");
  await finishSignIn(firefox);

  await page.goto("/devices");
  const remembered = rememberedList(page).getByRole("listitem");
  await expect(remembered).toHaveCount(1);
  await expect(remembered).toContainText(FIREFOX);
  await expect(remembered).toContainText("last used");
  await page.getByRole("button", { name: `Sign out ${FIREFOX}` }).click();
  await expect(status(page)).toHaveText(
    "That device was signed out, and its browser will ask for a code at its next sign-in.",
  );
  await expect(rememberedList(page)).toHaveCount(0);

  await firefox.goto("/security-info");
  await expect(firefox.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
  expect(await afterPassword(firefox, account)).toBe("code");
});

test("the helpdesk sees a person's remembered browsers and forgets one with a reason, on the record", async ({
  browser,
}) => {
  // Three sign-ins with a code, or two people signing in: more than a minute on a busy machine.
  test.slow();
  const account = tester("forget-by-helpdesk");
  const firefox = await newBrowser(browser, FIREFOX_ON_MACOS);
  await signIn(firefox, account);
  await signOut(firefox);
  await signInRemembering(firefox, account);

  const agent = await newBrowser(browser);
  await signedIn(agent, demoAccount("helpdesk"));
  await openUser(agent, "forget-by-helpdesk");
  const remembered = rememberedList(agent).getByRole("listitem");
  await expect(remembered).toHaveCount(1);
  await expect(remembered).toContainText(FIREFOX);
  await expectNoAccessibilityViolations(agent);

  await agent.getByRole("button", { name: `Forget ${FIREFOX}` }).click();
  const dialog = agent.getByRole("dialog", { name: `Forget ${FIREFOX}` });
  await dialog
    .getByRole("textbox", { name: "Reason" })
    .fill("Laptop reported stolen, caller verified");
  await dialog.getByRole("button", { name: "Confirm" }).click();
  await expect(rememberedList(agent)).toHaveCount(0);
  await expect(agent.getByText("Every browser asks for a second factor.")).toBeVisible();
  // The audit record, as the console shows it: what, who and why.
  await expect(
    agent
      .getByRole("list", { name: "Helpdesk actions" })
      .getByRole("listitem")
      .filter({ hasText: "One remembered browser forgotten by the helpdesk" }),
  ).toContainText("Reason: Laptop reported stolen, caller verified");

  await signOut(firefox);
  expect(await afterPassword(firefox, account)).toBe("code");
});

test("a helpdesk password reset forgets 'Don't ask again': the new password still needs the second factor there", async ({
  browser,
}) => {
  // Three sign-ins with a code, or two people signing in: more than a minute on a busy machine.
  test.slow();
  // Someone with the password made their browser remembered; the helpdesk resets the password,
  // and the new one is overheard.
  const account = tester("reset-remembered");
  const intruder = await newBrowser(browser, FIREFOX_ON_MACOS);
  await signIn(intruder, account);
  await signOut(intruder);
  await signInRemembering(intruder, account);

  const agent = await newBrowser(browser);
  await signedIn(agent, demoAccount("helpdesk"));
  await openUser(agent, "reset-remembered");
  await agent.getByRole("button", { name: "Reset password", exact: true }).click();
  const dialog = agent.getByRole("dialog", { name: "Reset password" });
  await dialog.getByRole("textbox", { name: "Reason" }).fill("Forgot password, identity checked");
  await dialog.getByRole("button", { name: "Confirm" }).click();
  const temporary = (await dialog.locator("code[data-secret]").innerText()).trim();
  await dialog.getByRole("button", { name: "Cancel" }).click();

  expect(await afterPassword(intruder, account, temporary)).toBe("code");
  await agent.reload();
  await expect(agent.getByText("Every browser asks for a second factor.")).toBeVisible();
});
