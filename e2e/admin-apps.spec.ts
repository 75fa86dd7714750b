import { expect, test, type Browser, type Page } from "@playwright/test";
import type { DemoSignIn } from "./support/app-server";
import { confirmConsoleAction } from "./support/console";
import { expectNoAccessibilityViolations } from "./support/helpers";
import { callServerAction, serverActions } from "./support/server-actions";
import { demoAccount } from "./support/state";
import { signedIn } from "./support/signed-in";

// The administrators' console for OpenID Connect apps: an app is added, its secret shown once and
// rotated, then disabled and deleted, each change audited with its reason and never its secret;
// a helpdesk agent reaches none of it (R-A19.4, R-A16.2, R-A16.4, R-A17.1).

const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

async function signedInPage(browser: Browser, account: DemoSignIn, where: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signedIn(page, account, where);
  return page;
}

/** Adds an app through "Add application" and waits for its page. */
async function addApp(
  page: Page,
  fields: { name: string; kind: string; redirectUris: string; reason: string },
) {
  await page.goto("/admin/apps");
  await page.getByRole("button", { name: "Add application" }).click();
  const form = page.getByRole("dialog", { name: "Add application" });
  await form.getByRole("textbox", { name: "Name" }).fill(fields.name);
  await form.getByRole("radio", { name: fields.kind }).check();
  await form.getByRole("textbox", { name: "Redirect URIs", exact: true }).fill(fields.redirectUris);
  await form.getByRole("textbox", { name: "Reason" }).fill(fields.reason);
  await form.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("heading", { level: 1, name: fields.name })).toBeVisible();
  return page.url().split("/").at(-1)!;
}

test("an administrator adds a web app, sees its secret once, rotates it, disables and deletes it (R-A19.4)", async ({
  page,
  context,
  baseURL,
}) => {
  const name = "Course catalogue";
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await signedIn(page, demoAccount("admin"), "/admin/users");
  await page
    .getByRole("navigation", { name: "Helpdesk console" })
    .getByRole("link", { name: "Applications" })
    .click();
  await expect(page.getByRole("heading", { level: 1, name: "Applications" })).toBeVisible();
  await expectNoAccessibilityViolations(page);

  // The form, from the keyboard: the dialog opens on its first field.
  await page.getByRole("button", { name: "Add application" }).focus();
  await page.keyboard.press("Enter");
  const form = page.getByRole("dialog", { name: "Add application" });
  await expect(form.getByRole("textbox", { name: "Name" })).toBeFocused();
  await expect(form.getByRole("radio", { name: "Web app with a secret" })).toBeChecked();
  await expect(form.getByRole("combobox", { name: "Who can use it" })).toHaveValue("everyone");
  await expectNoAccessibilityViolations(page);

  // A plain-http address and a wildcard: refused at their field, and nothing is added.
  await page.keyboard.type(name);
  const uris = form.getByRole("textbox", { name: "Redirect URIs", exact: true });
  await uris.fill("http://catalogue.example.edu/callback\nhttps://*.example.edu/callback");
  await form.getByRole("textbox", { name: "Reason" }).fill("Catalogue moves to single sign-on");
  await form.getByRole("button", { name: "Save" }).click();
  await expect(form.getByRole("alert")).toHaveText(
    "Some fields need attention; nothing was saved.",
  );
  await expect(uris).toHaveAttribute("aria-invalid", "true");
  await expect(uris).toHaveAccessibleDescription(/must use https.*must not contain a wildcard/);
  await expect(form.getByRole("textbox", { name: "Name" })).toHaveValue(name);
  await expectNoAccessibilityViolations(page);

  await uris.fill("https://catalogue.example.edu/callback");
  await form
    .getByRole("textbox", { name: "Post-logout redirect URIs" })
    .fill("https://catalogue.example.edu/");
  await form
    .getByRole("textbox", { name: "Back-channel logout URI" })
    .fill("https://catalogue.example.edu/backchannel");
  await form
    .getByRole("combobox", { name: "Who can use it" })
    .selectOption({ label: "Helpdesk and administrators" });
  await form
    .getByRole("combobox", { name: "Proof required" })
    .selectOption({ label: "A passkey or security key" });
  await form.getByRole("button", { name: "Save" }).click();

  // Its page: what the app's configuration needs, and the secret this once.
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  const clientId = (await page.getByLabel("Client ID").innerText()).trim();
  expect(clientId).toMatch(/^[A-Za-z0-9_-]{32}$/);
  const secret = (await page.getByLabel("Client secret").innerText()).trim();
  expect(secret).toMatch(SECRET_PATTERN);
  expect(page.url()).not.toContain(secret);
  await expect(page.getByText("it will not be shown again")).toBeVisible();
  await expect(page.getByLabel("Issuer")).toHaveText(baseURL!);
  await expect(page.getByLabel("Discovery URL")).toHaveText(
    `${baseURL}/.well-known/openid-configuration`,
  );
  await page.getByRole("button", { name: "Copy client secret" }).click();
  await expect(page.getByText("Client secret copied")).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
  await expectNoAccessibilityViolations(page);

  // Reloaded, the page no longer has it anywhere.
  await page.reload();
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  await expect(page.getByLabel("Client ID")).toHaveText(clientId);
  await expect(page.getByLabel("Client secret")).toHaveCount(0);
  expect(await page.content()).not.toContain(secret);

  // A new secret, shown once in its dialog; the page keeps neither.
  const rotate = await confirmConsoleAction(
    page,
    "Rotate secret",
    "Rotate secret",
    "Secret pasted into a ticket by mistake",
  );
  await expect(rotate.getByRole("status").first()).toContainText("A new client secret was made");
  const rotated = (await rotate.getByLabel("Client secret").innerText()).trim();
  expect(rotated).toMatch(SECRET_PATTERN);
  expect(rotated).not.toBe(secret);
  await expect(rotate.getByRole("button", { name: "Confirm" })).toHaveCount(0);
  await expectNoAccessibilityViolations(page);
  await rotate.getByRole("button", { name: "Cancel" }).click();
  await page.reload();
  expect(await page.content()).not.toContain(rotated);

  // The settings: open to everyone now.
  const settings = page.getByRole("region", { name: "Settings" });
  await settings.getByRole("combobox", { name: "Who can use it" }).selectOption("everyone");
  await settings.getByRole("textbox", { name: "Reason" }).fill("Students need the catalogue too");
  await settings.getByRole("button", { name: "Save" }).click();
  await expect(settings.getByRole("status")).toHaveText("Saved.");
  await expect(settings.getByRole("combobox", { name: "Who can use it" })).toHaveValue("everyone");
  await expect(page.getByText("Everyone · A passkey or security key · Enabled")).toBeVisible();

  await confirmConsoleAction(page, "Disable", "Disable application", "Catalogue is being migrated");
  await expect(page.getByRole("button", { name: "Enable", exact: true })).toBeVisible();
  await expect(page.getByText("This application is disabled")).toBeVisible();

  await page.goto("/admin/apps");
  const table = page.getByRole("table", { name: "Applications" });
  await expect(table.getByRole("columnheader")).toHaveText([
    "Name",
    "Kind",
    "Who can use it",
    "Proof required",
    "Status",
  ]);
  await expect(table.getByRole("row", { name: new RegExp(name) }).getByRole("cell")).toHaveText([
    name,
    "Web app with a secret",
    "Everyone",
    "A passkey or security key",
    "Disabled",
  ]);

  await table.getByRole("link", { name }).click();
  await confirmConsoleAction(page, "Delete", "Delete application", "Catalogue retired");
  await expect(page.getByRole("heading", { level: 1, name: "Applications" })).toBeVisible();
  await expect(page.getByRole("link", { name })).toHaveCount(0);

  // Each change is in the audit log with its reason, and neither secret is.
  await page.goto("/admin/audit");
  const entries = page.getByRole("table", { name: "Audit entries" });
  for (const text of [
    "Application added",
    "Catalogue moves to single sign-on",
    "Application's client secret replaced",
    "Secret pasted into a ticket by mistake",
    "Application's settings changed",
    "Students need the catalogue too",
    "Application disabled",
    "Catalogue is being migrated",
    "Application deleted",
    "Catalogue retired",
  ]) {
    await expect(entries).toContainText(text);
  }
  const log = await page.content();
  expect(log).not.toContain(secret);
  expect(log).not.toContain(rotated);
});

test("a helpdesk agent is refused the applications console and its actions, and nothing changes (R-A16.4, R-A17.1)", async ({
  browser,
  baseURL,
}) => {
  const name = "Staff rota";
  const admin = await signedInPage(browser, demoAccount("admin"), "/admin/apps");
  const appId = await addApp(admin, {
    name,
    kind: "Single-page or mobile app",
    redirectUris: "com.example.rota:/callback",
    reason: "Rota app for the helpdesk",
  });
  // A single-page or mobile app has no secret to show or rotate.
  await expect(admin.getByLabel("Client ID")).toBeVisible();
  await expect(admin.getByLabel("Client secret")).toHaveCount(0);
  await expect(admin.getByRole("button", { name: "Rotate secret" })).toHaveCount(0);
  await expect(admin.getByLabel("Client authentication")).toContainText("PKCE");

  const helpdesk = await signedInPage(browser, demoAccount("helpdesk"), "/admin/users");
  await expect(helpdesk.getByRole("heading", { level: 1, name: "Users" })).toBeVisible();
  await expect(helpdesk.getByRole("link", { name: "Applications" })).toHaveCount(0);
  for (const path of ["/admin/apps", `/admin/apps/${appId}`]) {
    const response = await helpdesk.request.get(path, { maxRedirects: 0 });
    expect(response.status(), path).toBe(404);
  }
  await helpdesk.goto("/admin/apps");
  await expect(helpdesk.getByRole("heading", { level: 1, name: "Page not found" })).toBeVisible();

  // Every action of the applications console checks the role itself.
  const actions = serverActions().filter((a) => a.file.startsWith("app/admin/apps/"));
  expect(actions.map((a) => a.name).sort()).toEqual([
    "createAppAction",
    "deleteAppAction",
    "disableAppAction",
    "enableAppAction",
    "rotateAppSecretAction",
    "updateAppAction",
  ]);
  for (const action of actions) {
    const response = await callServerAction(
      helpdesk.request,
      { ...action, page: action.page.replace("[id]", appId) },
      {
        appId,
        name: "Taken over",
        kind: "web",
        redirectUris: "https://evil.example/callback",
        postLogoutRedirectUris: "",
        backchannelLogoutUri: "",
        allowedRoles: "everyone",
        proof: "mfa",
        reason: "Probing the console",
        ticket: "",
      },
      baseURL!,
    );
    expect(response.status(), `${action.file} ${action.name}`).toBe(404);
  }

  // The app is as the administrator left it, and nothing was added.
  await admin.goto("/admin/apps");
  const table = admin.getByRole("table", { name: "Applications" });
  await expect(table.getByRole("row", { name: new RegExp(name) })).toContainText("Enabled");
  await expect(table).not.toContainText("Taken over");
  await table.getByRole("link", { name }).click();
  await expect(
    admin
      .getByRole("region", { name: "Connection details" })
      .getByLabel("Redirect URIs", { exact: true }),
  ).toHaveText("com.example.rota:/callback");
  await expectNoAccessibilityViolations(admin);

  // Put back: the demo organisation's list stays as other specs expect it.
  await confirmConsoleAction(admin, "Delete", "Delete application", "Test finished");
  await expect(admin.getByRole("heading", { level: 1, name: "Applications" })).toBeVisible();
});
