import { readFileSync } from "node:fs";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { parse } from "csv-parse/sync";
import { newTotpSecret, totpCode } from "../lib/mfa/totp";
import { completeAuthenticatorWizard, skipBackupAndCodes } from "./support/authenticator";
import { expectNoAccessibilityViolations, mainAlert, submitPassword } from "./support/helpers";
import { demoAccount, tester } from "./support/state";
import { signedIn } from "./support/signed-in";

// Issue #6: a Temporary Access Pass from the helpdesk gets a person with no usable method back in
// to register one, once; a hardware token is imported, assigned, activated and signs in; every
// action is in the audit log with its reason, and its CSV export is safe to open (R-A10, R-A4.6,
// R-A16.2, R-A14.3).

const PASS_REASON = "Lost phone; identity checked by calling back the number on record";

async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext();
  return context.newPage();
}

/** Opens a person's page in the console through the search, as an agent would. */
async function openUser(page: Page, email: string, name: string) {
  await page.goto("/admin/users");
  await page.getByRole("searchbox", { name: "Search users" }).fill(email);
  await page.getByRole("searchbox", { name: "Search users" }).press("Enter");
  await page.getByRole("link", { name, exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name, exact: true })).toBeVisible();
}

/** "Issue Temporary Access Pass" with a reason; returns the pass shown once. */
async function issuePass(page: Page, reason: string, ticket: string) {
  await page.getByRole("button", { name: "Issue Temporary Access Pass" }).click();
  const dialog = page.getByRole("dialog", { name: "Issue Temporary Access Pass" });
  await dialog.getByRole("textbox", { name: "Reason" }).fill(reason);
  await dialog.getByRole("textbox", { name: "Ticket ID (optional)" }).fill(ticket);
  await dialog.getByRole("button", { name: "Confirm" }).click();
  await expect(dialog.getByRole("status")).toContainText("Temporary Access Pass issued");
  const pass = (await dialog.locator("[data-secret]").innerText()).trim();
  expect(pass).toMatch(/^([0-9A-Z]{4}-){4}[0-9A-Z]{4}$/);
  await dialog.getByRole("button", { name: "Cancel" }).click();
  return pass;
}

async function useAccessPass(page: Page, email: string, pass: string) {
  await page.goto("/signin");
  await page.getByRole("link", { name: "Use a Temporary Access Pass" }).click();
  await expect(
    page.getByRole("heading", { level: 1, name: "Use a Temporary Access Pass" }),
  ).toBeVisible();
  await page.getByRole("textbox", { name: "Email" }).fill(email);
  await page.getByRole("textbox", { name: "Temporary Access Pass" }).fill(pass);
  await page.getByRole("button", { name: "Sign in" }).click();
}

// The audit log's test reads the record of the pass the first one issues: it needs it to have run.
test.describe("a pass, then its record", () => {
  test.describe.configure({ mode: "serial" });

  test("a pass issued by the helpdesk lets the student register an app, once", async ({
    page,
    browser,
  }) => {
    const student = tester("tap-student");
    await signedIn(page, demoAccount("helpdesk"));
    await openUser(page, student.email, "Test tap-student");
    await expectNoAccessibilityViolations(page);
    const pass = await issuePass(page, PASS_REASON, "INC-1001");

    // The student, on another computer: straight from the pass to the wizard.
    const studentPage = await newPage(browser);
    await useAccessPass(studentPage, student.email, "ABCD-EFGH-JKMN-PQRS-TVWX");
    await expect(mainAlert(studentPage)).toHaveText(
      "Your account or Temporary Access Pass is incorrect.",
    );
    await expectNoAccessibilityViolations(studentPage);
    await studentPage.getByRole("textbox", { name: "Temporary Access Pass" }).fill(pass);
    await studentPage.getByRole("button", { name: "Sign in" }).click();
    await completeAuthenticatorWizard(studentPage, student.email);
    await studentPage.getByRole("button", { name: "Done" }).click();
    await expect(
      studentPage.getByRole("heading", { level: 1, name: "Stay signed in?" }),
    ).toBeVisible();
    await studentPage.getByRole("button", { name: "No" }).click();
    await expect(
      studentPage.getByRole("heading", { level: 1, name: "Security info" }),
    ).toBeVisible();
    await expect(
      studentPage
        .getByRole("list", { name: "Sign-in methods" })
        .getByText("Authenticator app", { exact: true }),
    ).toBeVisible();

    // The same pass a second time, from a fresh browser: refused like any wrong one.
    const again = await newPage(browser);
    await useAccessPass(again, student.email, pass);
    await expect(mainAlert(again)).toHaveText(
      "Your account or Temporary Access Pass is incorrect.",
    );
    await expect(
      again.getByRole("heading", { level: 1, name: "Start by getting the app" }),
    ).toHaveCount(0);
  });

  test("the audit log shows each action with its reason, and its CSV export is safe to open", async ({
    page,
  }) => {
    const formula = tester("csv-formula");
    await signedIn(page, demoAccount("helpdesk"));
    // An action on the person whose name is a formula, so the export holds it.
    await openUser(page, formula.email, '=HYPERLINK("http://evil.example","Click me")');
    await issuePass(page, "Checking the export", "INC-2002");

    await page.goto("/admin/audit");
    await expect(page.getByRole("heading", { level: 1, name: "Audit log" })).toBeVisible();
    await page
      .getByRole("combobox", { name: "Action" })
      .selectOption({ label: "Temporary Access Pass issued" });
    await page.getByRole("button", { name: "Filter" }).click();
    const entries = page.getByRole("table", { name: "Audit entries" });
    await expect(entries).toContainText(PASS_REASON);
    await expect(entries).toContainText("Ticket INC-1001");
    await expect(entries).toContainText("Test tap-student");
    await expectNoAccessibilityViolations(page);

    await page.getByRole("combobox", { name: "Action" }).selectOption({ label: "All actions" });
    await page.getByRole("textbox", { name: "Subject" }).fill(formula.email);
    await page.getByRole("button", { name: "Filter" }).click();
    const downloading = page.waitForEvent("download");
    await page.getByRole("button", { name: "Export CSV" }).click();
    const download = await downloading;
    const csv = readFileSync((await download.path())!, "utf8");
    const [head, ...rows] = parse(csv, { bom: true }) as string[][];
    const name = head!.indexOf("subject name");
    const issued = rows.find((r) => r[1] === "admin.pass.issued")!;
    expect(issued[name]).toBe(`'=HYPERLINK("http://evil.example","Click me")`);
    expect(issued).toContain("Checking the export");
    for (const record of rows) {
      for (const cell of record) expect(cell).not.toMatch(/^[=+\-@\t\r\0]/);
    }

    // The export itself is on the record.
    await page.goto("/admin/audit?action=admin.audit.exported");
    await expect(page.getByRole("table", { name: "Audit entries" })).toContainText(
      "Audit log exported",
    );
  });
});

/** A code the token shows at a step the server has not accepted yet. */
async function tokenCode(
  secret: string,
  afterStep: number,
): Promise<{ code: string; step: number }> {
  let step = Math.floor(Date.now() / 30_000);
  while (step <= afterStep) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    step = Math.floor(Date.now() / 30_000);
  }
  return { code: await totpCode(secret, new Date(step * 30_000 + 1000)), step };
}

test("a hardware token is imported, assigned, activated and signs in", async ({
  page,
  browser,
}) => {
  const holder = tester("token-holder");
  const secret = newTotpSecret();
  const serial = `E2E-${Date.now().toString(36).toUpperCase()}`;
  await signedIn(page, demoAccount("admin"));

  await page.goto("/admin/tokens");
  await expect(page.getByRole("heading", { level: 1, name: "Hardware tokens" })).toBeVisible();
  await expectNoAccessibilityViolations(page);
  await page.getByRole("link", { name: "Import tokens" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Import tokens" })).toBeVisible();
  await expectNoAccessibilityViolations(page);

  // A bad row: the dry run names it and nothing is imported.
  const header = "upn,serial number,secret key,time interval,manufacturer,model";
  await page
    .getByRole("textbox", { name: "Tokens CSV" })
    .fill(`${header}\n,${serial},${secret},45,Contoso,Hard Token 1`);
  await page.getByRole("button", { name: "Check file" }).click();
  await expect(page.getByRole("list", { name: "Problems" })).toContainText(
    "Line 2: the time interval must be 30 or 60",
  );
  await page
    .getByRole("textbox", { name: "Tokens CSV" })
    .fill(`${header}\n,${serial},${secret},30,Contoso,Hard Token 1`);
  await page.getByRole("button", { name: "Check file" }).click();
  await expect(page.getByRole("main").getByRole("status")).toHaveText(
    "The file is clean: 1 tokens can be imported.",
  );
  // The secrets are never sent back to the page: the file is given again to import it.
  await expect(page.getByRole("textbox", { name: "Tokens CSV" })).toHaveValue("");
  await page
    .getByRole("textbox", { name: "Tokens CSV" })
    .fill(`${header}\n,${serial},${secret},30,Contoso,Hard Token 1`);
  await page.getByRole("textbox", { name: "Reason" }).fill("Tokens for staff without a phone");
  await page.getByRole("button", { name: "Import tokens" }).click();
  await expect(page.getByRole("main").getByRole("status")).toHaveText("1 tokens imported.");
  await page.goto("/admin/tokens");
  const row = page.getByRole("row", { name: new RegExp(serial) });
  await expect(row).toContainText("Available");
  await expect(page.getByText(secret)).toHaveCount(0);

  await openUser(page, holder.email, "Test token-holder");
  await page.getByRole("button", { name: "Assign hardware token" }).click();
  const dialog = page.getByRole("dialog", { name: "Assign hardware token" });
  await dialog.getByRole("combobox", { name: "Hardware token" }).selectOption({
    label: `${serial} (Hard Token 1)`,
  });
  await dialog.getByRole("textbox", { name: "Reason" }).fill("Has no mobile phone");
  await dialog.getByRole("button", { name: "Confirm" }).click();
  // The page is drawn again: the only free token is taken.
  await expect(page.getByText("No hardware token is free to assign.")).toBeVisible();
  await page.goto("/admin/tokens");
  await expect(page.getByRole("row", { name: new RegExp(serial) })).toContainText(
    "Assigned, not activated",
  );

  // The holder activates it in the wizard at their first sign-in, with the code it shows.
  const holderPage = await newPage(browser);
  await holderPage.goto("/signin");
  await submitPassword(holderPage, holder.email, holder.password);
  await holderPage.getByRole("button", { name: "Next" }).click();
  await holderPage.getByRole("link", { name: "Activate hardware token" }).click();
  await expect(
    holderPage.getByRole("heading", { level: 1, name: "Activate your hardware token" }),
  ).toBeVisible();
  await expectNoAccessibilityViolations(holderPage);
  const first = await tokenCode(secret, 0);
  await holderPage.getByRole("textbox", { name: "Code" }).fill(first.code);
  await holderPage.getByRole("button", { name: "Activate" }).click();
  await skipBackupAndCodes(holderPage);
  await expect(holderPage.getByRole("heading", { level: 1, name: "Success!" })).toBeVisible();
  await expect(holderPage.getByText("Authenticator app or hardware token - code")).toBeVisible();
  await holderPage.getByRole("button", { name: "Done" }).click();
  await holderPage.getByRole("button", { name: "No" }).click();
  await expect(
    holderPage
      .getByRole("list", { name: "Sign-in methods" })
      .getByText("Hardware token", { exact: true }),
  ).toBeVisible();

  // Signed out, then in again with a code from the token.
  await holderPage.getByRole("button", { name: "Sign out", exact: true }).click();
  await submitPassword(holderPage, holder.email, holder.password);
  await expect(holderPage.getByRole("heading", { level: 1, name: "Enter code" })).toBeVisible();
  const second = await tokenCode(secret, first.step);
  await holderPage.getByRole("textbox", { name: "Code" }).fill(second.code);
  await holderPage.getByRole("button", { name: "Verify" }).click();
  await holderPage.getByRole("button", { name: "No" }).click();
  await expect(holderPage.getByRole("heading", { level: 1, name: "Security info" })).toBeVisible();

  await page.goto("/admin/tokens");
  await expect(page.getByRole("row", { name: new RegExp(serial) })).toContainText("Active");
});

test("cases and settings are readable by the people they are for", async ({ page }) => {
  await signedIn(page, demoAccount("admin"));
  await page.goto("/admin/cases");
  await expect(page.getByRole("heading", { level: 1, name: "Cases" })).toBeVisible();
  await expectNoAccessibilityViolations(page);

  await page.goto("/admin/settings");
  await expect(page.getByRole("heading", { level: 1, name: "Settings" })).toBeVisible();
  await expectNoAccessibilityViolations(page);
  await page.getByRole("spinbutton", { name: "Usual lifetime (minutes)" }).fill("45");
  await page.getByRole("textbox", { name: "Reason" }).fill("Shorter passes");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByRole("main").getByRole("status")).toHaveText("Saved 1 setting.");
  // Back to the default, so other tests see the policy they expect.
  await page.getByRole("spinbutton", { name: "Usual lifetime (minutes)" }).fill("60");
  await page.getByRole("textbox", { name: "Reason" }).fill("Back to the default");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByRole("main").getByRole("status")).toHaveText("Saved 1 setting.");

  await page.goto("/admin/audit?action=admin.settings.changed");
  await expect(page.getByRole("table", { name: "Audit entries" })).toContainText("Shorter passes");
});
