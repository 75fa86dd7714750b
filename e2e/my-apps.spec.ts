import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test, type Locator, type Page } from "@playwright/test";
import { createAccounts, type Account } from "./support/accounts";
import { startAppServer, type AppServer } from "./support/app-server";
import { heading, registerTestApps, signInThroughApp, type TestApp } from "./support/apps";
import { createOwnDatabase } from "./support/database";
import {
  expectNoAccessibilityViolations,
  passSecondStep,
  signIn,
  submitPassword,
} from "./support/helpers";
import type { RelyingParty } from "./support/relying-party";
import { E2E_PORT } from "./support/state";

// My apps: the apps a person signed in to through Factor, and "Remove access" to one of them.
// Each app is a real relying party (node:http and openid-client) on a port of its own, as in
// apps-sign-in.spec.ts; a server and database of this file's own, the apps registered first.
const PORT = E2E_PORT + 7;
const ISSUER = `http://localhost:${PORT}`;
const run = String(Date.now() % 100_000).padStart(5, "0");

type AppName = "mail" | "library" | "survey";
const APPS: Record<AppName, TestApp> = {
  mail: { name: "Mail", kind: "web" },
  library: { name: "Library", kind: "web" },
  survey: { name: "Course survey", kind: "web", askConsent: true },
};

let server: AppServer;
let ownDatabase: Awaited<ReturnType<typeof createOwnDatabase>>;
let accounts: Record<"person" | "newcomer" | "caller" | "agent" | "consenter", Account>;
let parties: Record<AppName, RelyingParty>;

test.beforeAll(async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "factor-e2e-"));
  ownDatabase = await createOwnDatabase(`factor_e2e_my_apps_${run}`);
  const env: Record<string, string> = {
    PUBLIC_URL: ISSUER,
    ...(ownDatabase ? { DATABASE_URL: ownDatabase.url } : {}),
  };
  const registered = registerTestApps(APPS, { dataDir, env, firstPort: E2E_PORT + 60 });
  const created = createAccounts(
    [
      { name: `my-apps-person-${run}`, authenticator: true },
      { name: `my-apps-newcomer-${run}`, authenticator: true },
      { name: `my-apps-caller-${run}`, displayName: `Caller ${run}`, authenticator: true },
      { name: `my-apps-agent-${run}`, role: "helpdesk", authenticator: true },
      { name: `my-apps-consenter-${run}`, authenticator: true },
    ],
    dataDir,
    { env, port: PORT },
  );
  accounts = {
    person: created[`my-apps-person-${run}`]!,
    newcomer: created[`my-apps-newcomer-${run}`]!,
    caller: created[`my-apps-caller-${run}`]!,
    agent: created[`my-apps-agent-${run}`]!,
    consenter: created[`my-apps-consenter-${run}`]!,
  };
  server = await startAppServer({ port: PORT, dataDir, env });
  parties = await registered.start(ISSUER);
});
test.afterAll(async () => {
  await Promise.all(Object.values<RelyingParty>(parties ?? {}).map((party) => party.stop()));
  await server?.stop();
  await ownDatabase?.drop();
});
test.use({ baseURL: ISSUER });

const appList = (page: Page) => page.getByRole("list", { name: "Apps" });
const appItem = (page: Page, app: AppName) =>
  appList(page).getByRole("listitem").filter({ hasText: APPS[app].name });

/** Opens an app while signed in at Factor: single sign-on, no question asked. */
async function openApp(page: Page, app: AppName) {
  await page.goto(`${parties[app].url}/login`);
  await expect(heading(page, `Signed in to ${APPS[app].name}`)).toBeVisible();
}

async function refresh(page: Page, app: AppName) {
  await page.goto(`${parties[app].url}/refresh`);
  return page.getByRole("heading", { level: 1 }).textContent();
}

async function tabTo(page: Page, target: Locator) {
  for (let i = 0; i < 30; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press("Tab");
  }
  await expect(target).toBeFocused();
}

test("removing an app's access ends its tokens and tells it, and no other app (R-A19.2, R-A19.5)", async ({
  page,
}) => {
  await signInThroughApp(page, parties.mail, accounts.person);
  await openApp(page, "library");
  expect(await refresh(page, "mail")).toBe("Refresh accepted");
  expect(await refresh(page, "library")).toBe("Refresh accepted");
  const delivered = {
    mail: parties.mail.logoutTokens.length,
    library: parties.library.logoutTokens.length,
  };

  await page.goto("/");
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link")).toHaveText([
    "Overview",
    "Security info",
    "My sign-ins",
    "Devices",
    "My apps",
    "Help",
  ]);
  await nav.getByRole("link", { name: "My apps" }).click();
  await expect(heading(page, "My apps")).toBeVisible();
  await expect(appList(page).getByRole("listitem")).toHaveCount(2);
  // The most recent first, each with its last sign-in.
  await expect(appList(page).getByRole("listitem").first()).toContainText("Library");
  await expect(appItem(page, "mail")).toContainText(/Last sign-in \d{1,2} \w{3} \d{4}/);

  await page.getByRole("button", { name: "Remove access to Mail" }).click();
  await expect(page.getByRole("main").getByRole("status")).toHaveText(
    "Mail no longer has access to your account, and was asked to sign you out.",
  );
  // Listed still, with its last sign-in: its access can be removed again later.
  await expect(appItem(page, "mail")).toBeVisible();

  await expect.poll(() => parties.mail.logoutTokens.length).toBe(delivered.mail + 1);
  const token = parties.mail.logoutTokens.at(-1)!;
  const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as {
    iss: string;
    events: Record<string, unknown>;
  };
  expect(claims.iss).toBe(ISSUER);
  expect(Object.keys(claims.events)).toContain(
    "http://schemas.openid.net/event/backchannel-logout",
  );
  expect(await refresh(page, "mail")).toBe("Refresh refused");
  expect(await refresh(page, "library")).toBe("Refresh accepted");
  expect(parties.library.logoutTokens).toHaveLength(delivered.library);

  // Access was removed, not the person: signing in to the app again works as before.
  await openApp(page, "mail");
  expect(await refresh(page, "mail")).toBe("Refresh accepted");
});

test("My apps is empty until an app is used, reads well and works with the keyboard", async ({
  page,
}) => {
  await signIn(page, accounts.newcomer);
  await page.goto("/apps");
  await expect(heading(page, "My apps")).toBeVisible();
  await expect(page.getByText("You haven't signed in to any app")).toBeVisible();
  await expect(appList(page)).toHaveCount(0);
  await expectNoAccessibilityViolations(page);

  await openApp(page, "library");
  await page.goto("/apps");
  await expect(appItem(page, "library")).toBeVisible();
  await expectNoAccessibilityViolations(page);
  await page.keyboard.press("Tab");
  await expect(page.getByRole("link", { name: "Skip to main content" })).toBeFocused();
  await tabTo(page, page.getByRole("button", { name: "Remove access to Library" }));
  await page.keyboard.press("Enter");
  await expect(page.getByRole("main").getByRole("status")).toHaveText(
    "Library no longer has access to your account, and was asked to sign you out.",
  );
  await expectNoAccessibilityViolations(page);
  expect(await refresh(page, "library")).toBe("Refresh refused");
});

test("the helpdesk sees the apps a person signed in to, with the last time", async ({
  page,
  browser,
}) => {
  await signInThroughApp(page, parties.library, accounts.caller);

  const desk = await browser.newPage({ baseURL: ISSUER });
  try {
    await signIn(desk, accounts.agent);
    await desk.goto("/admin/users");
    await desk.getByRole("searchbox", { name: "Search users" }).fill(`Caller ${run}`);
    await desk.getByRole("button", { name: "Search", exact: true }).click();
    await desk.getByRole("link", { name: `Caller ${run}` }).click();
    await expect(heading(desk, `Caller ${run}`)).toBeVisible();
    const sessions = desk.getByRole("region", { name: "Sessions" });
    await expect(sessions.getByRole("heading", { level: 3, name: "Apps" })).toBeVisible();
    const listed = sessions.getByRole("list", { name: "Apps signed in to" }).getByRole("listitem");
    await expect(listed).toHaveCount(1);
    await expect(listed).toContainText("Library");
    await expect(listed).toContainText(/Last sign-in \d{1,2} \w{3} \d{4}/);
  } finally {
    await desk.close();
  }
});

test("an app that asks for consent says what it will receive, and the answer holds until its access is removed (R-A19.2)", async ({
  page,
}) => {
  const consentHeading = heading(page, "Allow Course survey to use your account?");
  await page.goto(`${parties.survey.url}/login`);
  await submitPassword(page, accounts.consenter.email, accounts.consenter.password);
  await passSecondStep(page, accounts.consenter.email);
  await page.getByRole("button", { name: "No" }).click();
  await expect(consentHeading).toBeVisible();
  await expect(
    page.getByRole("list", { name: "What Course survey will receive" }).getByRole("listitem"),
  ).toHaveText([
    "That it's you, and when and how you signed in",
    "Your email address",
    "Your name and your role",
  ]);
  await expectNoAccessibilityViolations(page);

  // Declined: the app is told, and nothing is remembered.
  await page.getByRole("button", { name: "Don't allow" }).click();
  await expect(heading(page, "Course survey: sign-in refused")).toBeVisible();
  await expect(page.locator("#error")).toHaveText("access_denied");
  await page.goto(`${parties.survey.url}/login`);
  await expect(consentHeading).toBeVisible();

  await page.getByRole("button", { name: "Allow", exact: true }).click();
  await expect(heading(page, "Signed in to Course survey")).toBeVisible();
  await expect(page.locator('[data-claim="email"]')).toHaveText(accounts.consenter.email);
  // Asked once: the next sign-in goes straight through, and so does one without a screen.
  await openApp(page, "survey");
  await page.goto(`${parties.survey.url}/login?prompt=none`);
  await expect(heading(page, "Signed in to Course survey")).toBeVisible();

  await page.goto("/apps");
  await page.getByRole("button", { name: "Remove access to Course survey" }).click();
  await expect(page.getByRole("main").getByRole("status")).toContainText(
    "Course survey no longer has access to your account",
  );
  // Removing access forgets the consent: without a screen the app learns it must ask.
  await page.goto(`${parties.survey.url}/login?prompt=none`);
  await expect(page.locator("#error")).toHaveText("consent_required");
  await page.goto(`${parties.survey.url}/login`);
  await expect(consentHeading).toBeVisible();
});
