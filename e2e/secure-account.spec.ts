import { expect, test, type Browser, type Page } from "@playwright/test";
import {
  expectNoAccessibilityViolations,
  mainAlert,
  signIn,
  submitPassword,
} from "./support/helpers";
import { startAppServer, type AppServer } from "./support/app-server";
import { freshCode, portOf } from "./support/authenticator";
import { E2E_PORT, mainDataDir, tester } from "./support/state";

// "This wasn't me" → Secure your account (R-A13), Devices (R-A12.7) and Help, as a person uses
// them: two browsers signed in as the same person, one of them securing the account.

const NEW_PASSWORD = "violet tractor umbrella 42";

async function twoBrowsers(browser: Browser, account: ReturnType<typeof tester>) {
  const first = await (await browser.newContext()).newPage();
  const second = await (await browser.newContext()).newPage();
  await signIn(first, account);
  await signIn(second, account);
  return { first, second };
}

/** The messages on /dev/outbox to one address, each as its text, newest first. */
async function outboxFor(page: Page, email: string): Promise<string[]> {
  const tab = await page.context().newPage();
  try {
    await tab.goto("/dev/outbox");
    await expect(tab.getByRole("heading", { level: 1, name: "Outbox" })).toBeVisible();
    return await tab
      .getByRole("list", { name: "Messages" })
      .getByRole("listitem")
      .filter({ hasText: email })
      .allInnerTexts();
  } finally {
    await tab.close();
  }
}

test('"This wasn\'t me" secures the account step by step, and the other browser is signed out (R-A13)', async ({
  browser,
}) => {
  const account = tester("secured");
  const { first: page, second: other } = await twoBrowsers(browser, account);

  // From My sign-ins when it offers "This wasn't me"; the flow is the same from its own address.
  await page.goto("/sign-ins");
  const wasntMe = page.getByRole("button", { name: "This wasn't me" }).first();
  if ((await wasntMe.count()) > 0) {
    await wasntMe.click();
    await expect(page).toHaveURL(/\/secure-account\?event=\d+/);
  } else {
    await page.goto("/secure-account");
  }

  // 1. Change your password: a common one is refused, tied to its field.
  await expect(page.getByRole("heading", { level: 1, name: "Change your password" })).toBeVisible();
  await expectNoAccessibilityViolations(page);
  await page.getByLabel("Current password").fill(account.password);
  await page.getByLabel("New password", { exact: true }).fill("password123");
  await page.getByLabel("Confirm new password").fill("password123");
  await page.getByRole("button", { name: "Next" }).click();
  const newPassword = page.getByLabel("New password", { exact: true });
  await expect(newPassword).toHaveAttribute("aria-invalid", "true");
  await expect(newPassword).toHaveAccessibleDescription(/list of common passwords/);
  await expect(newPassword).toBeFocused();
  await expect(page.getByRole("heading", { level: 1, name: "Change your password" })).toBeVisible();
  await expectNoAccessibilityViolations(page);

  await page.getByLabel("Current password").fill(account.password);
  await newPassword.fill(NEW_PASSWORD);
  await page.getByLabel("Confirm new password").fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Next" }).click();

  // 2. Sign out everywhere: the change already ended every other sign-in.
  await expect(page.getByRole("heading", { level: 1, name: "Sign out everywhere" })).toBeVisible();
  await expectNoAccessibilityViolations(page);
  await other.goto("/security-info");
  await expect(other.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
  await page.getByRole("button", { name: "Sign out everywhere" }).click();

  // 3. Review your security info: the only method is marked new but cannot go (R-A9.5).
  await expect(
    page.getByRole("heading", { level: 1, name: "Review your security info" }),
  ).toBeVisible();
  await expectNoAccessibilityViolations(page);
  const methods = page.getByRole("list", { name: "Sign-in methods" });
  const app = methods.getByRole("listitem").filter({ hasText: "Authenticator app" });
  await expect(app.getByText("Added recently")).toBeVisible();
  await app.getByRole("button", { name: /^Delete Authenticator app/ }).click();
  await expect(mainAlert(page)).toHaveText(/can't delete your only sign-in method/);
  await expect(methods.getByRole("listitem").filter({ hasText: "Authenticator app" })).toHaveCount(
    1,
  );
  await page.getByRole("button", { name: "Create recovery codes" }).click();
  await expect(
    page.getByRole("list", { name: "Recovery codes" }).getByRole("listitem"),
  ).toHaveCount(10);
  await page.getByRole("button", { name: "Next" }).click();

  // 4. Tell us what happened: an empty report is refused, then a case is opened.
  await expect(
    page.getByRole("heading", { level: 1, name: "Tell us what happened" }),
  ).toBeVisible();
  await expectNoAccessibilityViolations(page);
  const story = page.getByRole("textbox", { name: "What happened?" });
  await page.getByRole("button", { name: "Send report" }).click();
  await expect(story).toHaveAttribute("aria-invalid", "true");
  await expect(story).toHaveAccessibleDescription(/Tell us what happened/);
  await story.fill("A sign-in from a country I have never visited.");
  await page.getByRole("button", { name: "Send report" }).click();

  // 5. Your account is secured: what was done, read back from what was stored.
  await expect(
    page.getByRole("heading", { level: 1, name: "Your account is secured" }),
  ).toBeVisible();
  await expectNoAccessibilityViolations(page);
  const summary = page.getByRole("list", { name: "What was done" });
  await expect(summary).toContainText("Your password was changed");
  await expect(summary).toContainText("New recovery codes were created");
  await expect(summary).toContainText(
    /Your report was sent to the helpdesk\. Reference: [0-9A-F]{8}\./,
  );
  // Coming back does not ask for the password again.
  await page.goto("/secure-account");
  await expect(page.getByRole("heading", { level: 1, name: "Sign out everywhere" })).toBeVisible();

  // The person was told, by email (R-A15.1).
  const mail = await outboxFor(page, account.email);
  expect(mail.filter((m) => m.includes("Your password was changed"))).toHaveLength(1);
  expect(mail.filter((m) => m.includes("Your account was secured"))).toHaveLength(1);
  expect(mail.every((m) => !m.includes(NEW_PASSWORD) && !m.includes(account.password))).toBe(true);

  // The old password no longer works; the new one does.
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await page.goto("/signin");
  await submitPassword(page, account.email, account.password);
  await expect(mainAlert(page)).toHaveText("Your account or password is incorrect.");
  await submitPassword(page, account.email, NEW_PASSWORD);
  await expect(page.getByRole("heading", { level: 1, name: "Enter code" })).toBeVisible();
});

test("Devices lists this person's browsers and signs out another one (R-A12.7)", async ({
  browser,
}) => {
  const account = tester("device-list");
  const { first: page, second: other } = await twoBrowsers(browser, account);
  await page
    .getByRole("navigation", { name: "Main" })
    .getByRole("link", { name: "Devices" })
    .click();
  await expect(page.getByRole("heading", { level: 1, name: "Devices" })).toBeVisible();
  await expectNoAccessibilityViolations(page);

  const devices = page.getByRole("list", { name: "Signed-in devices" }).getByRole("listitem");
  await expect(devices).toHaveCount(2);
  await expect(devices.filter({ hasText: "This device" })).toHaveCount(1);
  await expect(devices.first()).toContainText("Private network");
  const signOut = page.getByRole("button", { name: /^Sign out Chrome on \w+, Private network/ });
  await expect(signOut).toHaveCount(1);
  await signOut.click();
  await expect(page.getByRole("main").getByRole("status")).toHaveText(
    "That device was signed out.",
  );
  await expect(devices).toHaveCount(1);
  await expect(page.getByRole("button", { name: "Sign out all other devices" })).toHaveCount(0);

  await other.goto("/security-info");
  await expect(other.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
  await page.goto("/security-info");
  await expect(page.getByRole("heading", { level: 1, name: "Security info" })).toBeVisible();
});

test("Help answers every question of the FAQ and takes a no-mobile-phone request", async ({
  page,
}) => {
  await signIn(page, tester("help-request"));
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Help" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Help" })).toBeVisible();
  const questions = page.getByRole("heading", { level: 2 });
  await expect(questions).toHaveText([
    "I forgot my password. How do I get back in?",
    "I have a new phone. How do I move my sign-in methods to it?",
    "I lost my phone, or it was stolen. What do I do?",
    "I am travelling abroad. Will I still be able to sign in?",
    "How can I reduce the number of verification requests?",
    "Why am I asked to change my password many times (VPN)?",
    "What if I have limited wifi or phone signal?",
    "I do not have a mobile phone. What can I do?",
    "I see sign-in activity I don't recognise. What should I do?",
    "The call asks me to press the pound key '#'. Where is it?",
    "My mail or calendar stopped working after I set up verification. Why?",
    "How do I sign in with my phone instead of my password?",
    "The Authenticator app doesn't show my sign-in requests. What can I do?",
    "Is this portal accessible?",
    "The VPN or wifi says \u201cAccess-Reject\u201d. What does that mean?",
    "It says \u201cInvalid username or password\u201d although I verified. Why?",
  ]);
  await expect(page.getByRole("region", { name: "Data credits" })).toContainText("CC");
  await expectNoAccessibilityViolations(page);

  // This server answers no VPN or wifi (no RADIUS_PORT): their answers say that the
  // organisation's service decides and send the person to the helpdesk; they promise nothing the
  // portal does not do. e2e/radius.spec.ts reads them with RADIUS on.
  const answer = (question: string) => page.getByRole("region", { name: question, exact: true });
  const helpdesk = page.getByRole("main").getByRole("link", { name: /@/ }).first();
  const helpdeskEmail = (await helpdesk.innerText()).trim();
  const accessReject = answer(
    "The VPN or wifi says \u201cAccess-Reject\u201d. What does that mean?",
  );
  await expect(accessReject).toContainText("does not check");
  await expect(accessReject).toContainText("so that service decides why");
  await expect(accessReject).toContainText("don't appear in My sign-ins");
  await expect(accessReject.getByRole("link", { name: helpdeskEmail })).toBeVisible();
  const vpn = answer("Why am I asked to change my password many times (VPN)?");
  await expect(vpn).toContainText("does not sign you in to the VPN");
  await expect(vpn.getByRole("link", { name: helpdeskEmail })).toBeVisible();
  await expect(vpn).not.toContainText("each failure counts against your account");
  // A forgotten password: the self-service reset, with what it takes and what it does not.
  const forgot = answer("I forgot my password. How do I get back in?");
  await expect(forgot.getByRole("link", { name: "Forgot my password" })).toHaveAttribute(
    "href",
    "/reset-password",
  );
  await expect(forgot).toContainText("one of your recovery codes");
  await expect(forgot).toContainText("a code texted to your phone (only as the second)");
  await expect(forgot).toContainText("A text alone or a call can't reset a password");
  await expect(forgot.getByRole("link", { name: helpdeskEmail })).toBeVisible();
  // A lost phone: sign in another way and clean up, or the helpdesk's Temporary Access Pass.
  const lost = answer("I lost my phone, or it was stolen. What do I do?");
  await expect(lost).toContainText("Sign out everywhere");
  await expect(lost).toContainText("Temporary Access Pass");
  await expect(lost.getByRole("link", { name: helpdeskEmail })).toBeVisible();
  const invalid = answer(
    "It says \u201cInvalid username or password\u201d although I verified. Why?",
  );
  await expect(invalid).toContainText("Your account or password is incorrect.");
  await expect(invalid.getByRole("link", { name: helpdeskEmail })).toBeVisible();
  const mail = answer("My mail or calendar stopped working after I set up verification. Why?");
  await expect(mail).toContainText("mail service decides what your apps need");
  await expect(mail).not.toContainText("refused");
  // A call is answered with #, not a code.
  await expect(answer("Is this portal accessible?")).not.toContainText("a text or a call");

  const request = page.getByRole("textbox", { name: "How can we help?" });
  await page.getByRole("button", { name: "Send request" }).click();
  await expect(request).toHaveAttribute("aria-invalid", "true");
  await request.fill("I have no mobile phone; I can use my office phone.");
  await page.getByRole("button", { name: "Send request" }).click();
  await expect(page.getByRole("main").getByRole("status")).toHaveText(
    /Your request was sent to the helpdesk\. Reference: [0-9A-F]{8}\./,
  );
  await expectNoAccessibilityViolations(page);
});

test.describe("after the step-up window", () => {
  // A server of its own with a six-second window, so a stale second factor can be seen.
  const PORT = E2E_PORT + 4;
  const onPostgres = Boolean(process.env.DATABASE_URL);
  let server: AppServer;
  test.use({ baseURL: `http://localhost:${PORT}` });
  test.beforeAll(async () => {
    server = await startAppServer({
      port: PORT,
      env: { STEP_UP_MAX_AGE_MINUTES: "0.1" },
      ...(onPostgres ? { dataDir: mainDataDir() } : {}),
    });
  });
  test.afterAll(async () => {
    await server?.stop();
  });

  test("Secure your account asks to verify again first, then comes back (R-A13.1)", async ({
    page,
  }) => {
    // A fresh database of its own has its own demo people; on PostgreSQL the data is shared.
    const account = onPostgres
      ? tester("stale-step-up")
      : server.demo.find((a) => a.role === "user")!;
    await signIn(page, account);
    await page.waitForTimeout(7000);
    await page.goto("/secure-account?event=424242");
    await expect(
      page.getByRole("heading", { level: 1, name: "Verify your identity" }),
    ).toBeVisible();
    await page
      .getByRole("textbox", { name: "Code" })
      .fill(await freshCode(account.email, 0, portOf(page)));
    await page.getByRole("button", { name: "Verify" }).click();
    await expect(
      page.getByRole("heading", { level: 1, name: "Change your password" }),
    ).toBeVisible();
    await expect(page).toHaveURL(/\/secure-account\?event=424242$/);
  });
});
