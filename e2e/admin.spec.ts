import { expect, test, type Browser, type Page } from "@playwright/test";
import type { DemoSignIn } from "./support/app-server";
import { completeAuthenticatorWizard, devices, freshCode, portOf } from "./support/authenticator";
import {
  expectNoAccessibilityViolations,
  mainAlert,
  passSecondStep,
  submitPassword,
} from "./support/helpers";
import { callServerAction, serverActions } from "./support/server-actions";
import { demoAccount, tester } from "./support/state";
import { signedIn } from "./support/signed-in";

// The helpdesk console (issue #6): an agent finds a person and fixes their sign-in; everything is
// recorded with its reason; a plain user reaches none of it (R-A16.4, R-A17.1).

const INCORRECT = "Your account or password is incorrect.";

async function signedInPage(browser: Browser, account: DemoSignIn): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signedIn(page, account);
  return page;
}

/** Finds a person by part of their email and opens their page. */
async function openUser(agent: Page, account: DemoSignIn, part: string): Promise<string> {
  await agent.goto("/admin/users");
  await expect(agent.getByRole("heading", { level: 1, name: "Users" })).toBeVisible();
  await agent.getByRole("searchbox", { name: "Search users" }).fill(part);
  await agent.getByRole("button", { name: "Search", exact: true }).click();
  await expect(agent).toHaveURL(new RegExp(`q=${encodeURIComponent(part)}`));
  const table = agent.getByRole("table");
  await expect(table.getByRole("columnheader")).toHaveText([
    "Name",
    "Email",
    "Role",
    "Account",
    "MFA",
    "Status",
  ]);
  await expect(table.getByRole("row")).toHaveCount(2);
  // Made in Factor, not read from a directory: Factor holds the password.
  await expect(table.getByRole("row").nth(1).getByRole("cell").nth(3)).toHaveText("Local");
  await table.getByRole("link", { name: `Test ${account.email.split("@")[0]}` }).click();
  await expect(
    agent.getByRole("heading", { level: 1, name: `Test ${account.email.split("@")[0]}` }),
  ).toBeVisible();
  return agent.url().split("/").at(-1)!;
}

/** Opens an action's dialog, gives a reason and confirms; returns the dialog. */
async function confirmAction(agent: Page, button: string, reason: string, ticket = "") {
  await agent.getByRole("button", { name: button, exact: true }).click();
  const dialog = agent.getByRole("dialog", { name: button });
  await dialog.getByRole("textbox", { name: "Reason" }).fill(reason);
  if (ticket) await dialog.getByRole("textbox", { name: "Ticket ID (optional)" }).fill(ticket);
  await dialog.getByRole("button", { name: "Confirm" }).click();
  await expect(dialog.getByRole("status")).toBeVisible();
  return dialog;
}

test("an agent finds a student by part of the email and requires re-register MFA: the student meets the wizard and the old codes fail", async ({
  browser,
}) => {
  const student = tester("admin-reregister");
  const studentPage = await signedInPage(browser, student);
  const port = portOf(studentPage);
  expect(devices(student.email, port)).toHaveLength(1);

  const agent = await signedInPage(browser, demoAccount("helpdesk"));
  await agent.getByRole("link", { name: "Admin" }).click();
  await expect(agent.getByRole("heading", { level: 1, name: "Users" })).toBeVisible();
  await expectNoAccessibilityViolations(agent);
  await openUser(agent, student, "ADMIN-REREG");
  await expect(
    agent.getByRole("heading", { level: 2, name: "Authentication methods" }),
  ).toBeVisible();
  await expect(agent.getByRole("button", { name: "Delete Authenticator app Phone" })).toBeVisible();
  for (const section of ["Sign-ins", "Sessions", "Account"]) {
    await expect(agent.getByRole("heading", { level: 2, name: section })).toBeVisible();
  }
  await expectNoAccessibilityViolations(agent);

  const reason = "Lost phone; identity checked by a call to the number on record";
  const dialog = await confirmAction(agent, "Require re-register MFA", reason, "INC-1001");
  await expect(dialog.getByRole("status")).toContainText("Every sign-in method was removed");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(agent.getByText("No sign-in method is registered.")).toBeVisible();
  const history = agent.getByRole("list", { name: "Helpdesk actions" });
  await expect(history).toContainText("Sign-in methods reset: must register again");
  await expect(history).toContainText(`Reason: ${reason}`);
  await expect(history).toContainText("Ticket INC-1001");

  // The student's session ended with the reset.
  await studentPage.goto("/security-info");
  await expect(studentPage).toHaveURL(/\/signin/);

  // The next sign-in meets the wizard: a new authenticator is set up.
  await studentPage.goto("/signin");
  await submitPassword(studentPage, student.email, student.password);
  await expect(
    studentPage.getByRole("heading", { level: 1, name: "More information required" }),
  ).toBeVisible();
  await studentPage.getByRole("button", { name: "Next" }).click();
  // Left unnamed: every list then names it by its kind alone.
  await completeAuthenticatorWizard(studentPage, student.email, "");
  await studentPage.getByRole("button", { name: "Done" }).click();
  await expect(
    studentPage.getByRole("heading", { level: 1, name: "Stay signed in?" }),
  ).toBeVisible();
  await studentPage.getByRole("button", { name: "No" }).click();
  await studentPage.getByRole("button", { name: "Sign out", exact: true }).click();

  // The old authenticator's codes fail; the new one's work.
  await studentPage.goto("/signin");
  await submitPassword(studentPage, student.email, student.password);
  await expect(studentPage.getByRole("heading", { level: 1, name: "Enter code" })).toBeVisible();
  await studentPage
    .getByRole("textbox", { name: "Code" })
    .fill(await freshCode(student.email, 0, port));
  await studentPage.getByRole("button", { name: "Verify" }).click();
  await expect(mainAlert(studentPage)).toBeVisible();
  await studentPage
    .getByRole("textbox", { name: "Code" })
    .fill(await freshCode(student.email, 1, port));
  await studentPage.getByRole("button", { name: "Verify" }).click();
  await expect(
    studentPage.getByRole("heading", { level: 1, name: "Stay signed in?" }),
  ).toBeVisible();
  await studentPage.getByRole("button", { name: "No" }).click();

  // The unnamed device is "Authenticator app", said once: in the console as in Security info.
  await agent.reload();
  const consoleMethods = agent.getByRole("region", { name: "Authentication methods" });
  await expect(consoleMethods.getByRole("listitem")).toHaveCount(1);
  await expect(
    consoleMethods.getByRole("button", { name: "Delete Authenticator app", exact: true }),
  ).toBeVisible();
  await expect(consoleMethods).not.toContainText("Authenticator app Authenticator app");
  await expectNoAccessibilityViolations(agent);
  await studentPage.goto("/security-info");
  const ownMethods = studentPage.getByRole("list", { name: "Sign-in methods" });
  await expect(
    ownMethods.getByRole("button", { name: "Delete Authenticator app", exact: true }),
  ).toBeVisible();
  await expect(ownMethods.getByRole("listitem").first()).not.toContainText(
    /Authenticator app\s*Authenticator app/,
  );
});

test("reset password: the old password fails, the temporary one works once and must be changed", async ({
  browser,
}) => {
  const student = tester("admin-reset");
  const studentPage = await signedInPage(browser, student);
  const agent = await signedInPage(browser, demoAccount("admin"));
  await openUser(agent, student, "admin-reset");
  const dialog = await confirmAction(
    agent,
    "Reset password",
    "Forgot password, identity checked in person",
  );
  const temporary = (await dialog.locator("code[data-secret]").innerText()).trim();
  expect(temporary).toMatch(/^[A-Za-z0-9]{20}$/);
  // Never in the address bar.
  expect(agent.url()).not.toContain(temporary);
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(agent.getByRole("list", { name: "Helpdesk actions" })).toContainText(
    "Reason: Forgot password, identity checked in person",
  );
  await expectNoAccessibilityViolations(agent);

  await studentPage.goto("/security-info");
  await expect(studentPage).toHaveURL(/\/signin/);
  await submitPassword(studentPage, student.email, student.password);
  await expect(mainAlert(studentPage)).toHaveText(INCORRECT);

  // The temporary password works, and the password must change before anything else.
  await submitPassword(studentPage, student.email, temporary);
  await passSecondStep(studentPage, student.email);
  await expect(
    studentPage.getByRole("heading", { level: 1, name: "Stay signed in?" }),
  ).toBeVisible();
  await studentPage.getByRole("button", { name: "No" }).click();
  await expect(
    studentPage.getByRole("heading", { level: 1, name: "Update your password" }),
  ).toBeVisible();
  // A step of signing in like the others: Help is a link away.
  await expect(studentPage.getByRole("link", { name: "Help", exact: true })).toHaveAttribute(
    "href",
    "/help",
  );
  await studentPage.getByLabel("Current password").fill(temporary);
  const fresh = `Correct horse ${Date.now()} battery staple`;
  await studentPage.getByLabel("New password", { exact: true }).fill(fresh);
  await studentPage.getByLabel("Confirm new password").fill(fresh);
  await studentPage.getByRole("button", { name: "Next" }).click();
  await expect(
    studentPage.getByRole("heading", { level: 1, name: "Update your password" }),
  ).toBeHidden();
});

test("a plain user is refused every admin page and every admin server action, and nothing changes", async ({
  browser,
  baseURL,
}) => {
  const plain = tester("admin-probe");
  const page = await signedInPage(browser, plain);
  await expect(page.getByRole("link", { name: "Admin" })).toHaveCount(0);

  // The agent's view gives the person's id, as an attacker might guess it.
  const agent = await signedInPage(browser, demoAccount("helpdesk"));
  const userId = await openUser(agent, plain, "admin-probe");

  for (const path of [
    "/admin",
    "/admin/users",
    `/admin/users/${userId}`,
    "/admin/cases",
    "/admin/tokens",
    "/admin/audit",
    "/admin/settings",
    "/admin/passkey-check",
  ]) {
    const response = await page.request.get(path, { maxRedirects: 0 });
    expect(response.status(), path).toBe(404);
  }
  // The audit export is a POST (it is audited itself): refused alike.
  const exported = await page.request.post("/admin/audit/export", {
    headers: { Origin: baseURL! },
    form: { action: "" },
    maxRedirects: 0,
  });
  expect(exported.status(), "/admin/audit/export").toBe(404);
  await page.goto("/admin/users");
  await expect(page.getByRole("heading", { level: 1, name: "Page not found" })).toBeVisible();
  await expectNoAccessibilityViolations(page);

  // Every server action of the console, whoever wrote it: each checks the role itself.
  const actions = serverActions().filter((a) => a.file.startsWith("app/admin/"));
  expect(actions.map((a) => a.name)).toEqual(
    expect.arrayContaining([
      "changeRoleAction",
      "createUserAction",
      "deleteMethodAction",
      "disableAccountAction",
      "enableAccountAction",
      "importUsersAction",
      "requireReregisterAction",
      "resetPasswordAction",
      "revokeMfaSessionsAction",
      "signOutAllSessionsAction",
      "unlockAccountAction",
      "issueAccessPassAction",
      "assignTokenAction",
    ]),
  );
  for (const action of actions) {
    const target = { ...action, page: action.page.replace("[id]", userId) };
    const response = await callServerAction(
      page.request,
      target,
      {
        userId,
        reason: "Probing the console",
        ticket: "",
        role: "admin",
        email: "intruder@example.edu",
        displayName: "Intruder",
        mfaRequired: "on",
      },
      baseURL!,
    );
    expect(response.status(), `${action.file} ${action.name}`).toBe(404);
  }

  // Still signed in, still the same role and methods: nothing was reset, signed out or granted.
  await page.goto("/security-info");
  await expect(page.getByRole("heading", { level: 1, name: "Security info" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Admin" })).toHaveCount(0);
  await agent.reload();
  await expect(agent.getByRole("button", { name: "Delete Authenticator app Phone" })).toBeVisible();
  await expect(agent.getByRole("list", { name: "Helpdesk actions" })).toHaveCount(0);
  await agent.goto("/admin/users?q=intruder");
  await expect(agent.getByText("No account matches.")).toBeVisible();
});
