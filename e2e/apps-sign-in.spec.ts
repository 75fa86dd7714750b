import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { createAccounts, type Account } from "./support/accounts";
import { startAppServer, type AppServer } from "./support/app-server";
import { heading, registerTestApps, signInThroughApp, type TestApp } from "./support/apps";
import { createOwnDatabase } from "./support/database";
import { expectNoAccessibilityViolations, passSecondStep, submitPassword } from "./support/helpers";
import type { RelyingParty } from "./support/relying-party";
import { addVirtualAuthenticator } from "./support/passkeys";
import { readOutbox } from "./support/outbox";
import { E2E_PORT } from "./support/state";

// Factor as the organisation's sign-in for its apps (OpenID Connect). Each app here is a real
// relying party — node:http and openid-client — on a port of its own; the person only ever uses
// the browser. A server and database of this file's own, with the apps registered before it starts.
const PORT = E2E_PORT + 5;
const ISSUER = `http://localhost:${PORT}`;
const run = String(Date.now() % 100_000).padStart(5, "0");

type AppName = "mail" | "library" | "staff" | "archive" | "timetable" | "research";
const APPS: Record<AppName, TestApp> = {
  mail: { name: "Mail", kind: "web" },
  library: { name: "Library", kind: "web" },
  staff: { name: "Staff portal", kind: "web", allowedRoles: ["helpdesk", "admin"] },
  archive: { name: "Old archive", kind: "web", disabled: true },
  timetable: { name: "Timetable", kind: "public" },
  research: { name: "Research data", kind: "web", proof: "phishing_resistant" },
};

let server: AppServer;
let ownDatabase: Awaited<ReturnType<typeof createOwnDatabase>>;
let accounts: Record<"student" | "halfway" | "other" | "researcher" | "traveller", Account>;
let parties: Record<AppName, RelyingParty>;

test.beforeAll(async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "factor-e2e-"));
  ownDatabase = await createOwnDatabase(`factor_e2e_apps_${run}`);
  const env: Record<string, string> = {
    PUBLIC_URL: ISSUER,
    // The test runner may say where a request came from (X-Forwarded-For), as a proxy would.
    TRUSTED_PROXIES: "127.0.0.1/8,::1",
    ...(ownDatabase ? { DATABASE_URL: ownDatabase.url } : {}),
  };
  const registered = registerTestApps(APPS, { dataDir, env, firstPort: E2E_PORT + 50 });
  const created = createAccounts(
    (["student", "halfway", "other", "researcher", "traveller"] as const).map((name) => ({
      name: `apps-${name}-${run}` as const,
      authenticator: true,
    })),
    dataDir,
    { env, port: PORT },
  );
  accounts = {
    student: created[`apps-student-${run}`]!,
    halfway: created[`apps-halfway-${run}`]!,
    other: created[`apps-other-${run}`]!,
    researcher: created[`apps-researcher-${run}`]!,
    traveller: created[`apps-traveller-${run}`]!,
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

const claim = (page: Page, name: string) => page.locator(`[data-claim="${name}"]`);

test("a student signs in to an app with a code, sees it in My sign-ins, and a replayed code is refused (R-A19.2, R-A19.3)", async ({
  page,
}) => {
  await signInThroughApp(page, parties.mail, accounts.student);
  await expect(claim(page, "email")).toHaveText(accounts.student.email);
  await expect(claim(page, "amr")).toHaveText(/\bpwd\b/);
  await expect(claim(page, "amr")).toHaveText(/\botp\b/);
  await expect(claim(page, "amr")).toHaveText(/\bmfa\b/);
  await expect(claim(page, "sub")).not.toHaveText(accounts.student.email);
  await expect(claim(page, "role")).toHaveText("user");

  await page.goto("/sign-ins");
  const latest = page.getByRole("list", { name: "Recent sign-ins" }).getByRole("listitem").first();
  await expect(latest).toContainText("Mail");
  await expectNoAccessibilityViolations(page);

  // The code was spent on the first exchange: a second use is refused and revokes what it issued.
  await page.goto(`${parties.mail.url}/refresh`);
  await expect(heading(page, "Refresh accepted")).toBeVisible();
  await page.goto(`${parties.mail.url}/replay`);
  await expect(heading(page, "Replayed code refused")).toBeVisible();
  await expect(page.locator("#error")).toHaveText("invalid_grant");
  await page.goto(`${parties.mail.url}/refresh`);
  await expect(heading(page, "Refresh refused")).toBeVisible();
});

test("a second app signs in without asking again; prompt=login asks again", async ({ page }) => {
  await signInThroughApp(page, parties.mail, accounts.other);
  await page.goto(`${parties.library.url}/login`);
  await expect(heading(page, "Signed in to Library")).toBeVisible();
  await expect(claim(page, "email")).toHaveText(accounts.other.email);

  await page.goto("/sign-ins");
  const latest = page.getByRole("list", { name: "Recent sign-ins" }).getByRole("listitem").first();
  await expect(latest).toContainText("Library");

  await page.goto(`${parties.library.url}/login?prompt=login`);
  await expect(heading(page, "Sign in")).toBeVisible();
  await submitPassword(page, accounts.other.email, accounts.other.password);
  await passSecondStep(page, accounts.other.email);
  await page.getByRole("button", { name: "No" }).click();
  await expect(heading(page, "Signed in to Library")).toBeVisible();
});

test("single sign-on from a new place is judged again, and the notice names the app (R-A14.6)", async ({
  page,
}) => {
  await signInThroughApp(page, parties.mail, accounts.traveller);
  // The same browser, its session open, now reaching Factor from a hosting network abroad.
  await page.context().setExtraHTTPHeaders({ "X-Forwarded-For": "8.8.8.8" });
  await page.goto(`${parties.library.url}/login`);
  await expect(heading(page, "Signed in to Library")).toBeVisible();

  await page.goto("/sign-ins");
  const latest = page.getByRole("list", { name: "Recent sign-ins" }).getByRole("listitem").first();
  await expect(latest).toContainText("Library");
  await expect(latest).toContainText("United States");
  await expect
    .poll(
      async () =>
        (
          await readOutbox(page, {
            recipient: accounts.traveller.email,
            body: /It was a sign-in to Library\./,
          })
        ).length,
    )
    .toBe(1);
});

test("an app the person may not use says why at Factor and tells the app access_denied", async ({
  page,
}) => {
  await signInThroughApp(page, parties.mail, accounts.student);
  await page.goto(`${parties.staff.url}/login`);
  await expect(heading(page, "You can't use Staff portal")).toBeVisible();
  await expectNoAccessibilityViolations(page);
  await page.getByRole("link", { name: "Back to Staff portal" }).click();
  await expect(heading(page, "Staff portal: sign-in refused")).toBeVisible();
  await expect(page.locator("#error")).toHaveText("access_denied");
});

test("a disabled app and a wrong redirect URI end at Factor's error page, never at the app (R-A19.1)", async ({
  page,
}) => {
  await page.goto(`${parties.archive.url}/login`);
  await expect(heading(page, "We can't sign you in to this app")).toBeVisible();
  expect(new URL(page.url()).port).toBe(String(PORT));
  await expectNoAccessibilityViolations(page);

  const elsewhere = encodeURIComponent("http://attacker.example/callback");
  await page.goto(`${parties.mail.url}/login?redirect_uri=${elsewhere}`);
  await expect(heading(page, "We can't sign you in to this app")).toBeVisible();
  await expect(page.getByText("did not register")).toBeVisible();
  expect(new URL(page.url()).port).toBe(String(PORT));
});

test("a single-page app without PKCE is refused (R-A19.1)", async ({ page }) => {
  await page.goto(`${parties.timetable.url}/login?pkce=none`);
  await expect(heading(page, "Timetable: sign-in refused")).toBeVisible();
  await expect(page.locator("#error")).toHaveText("invalid_request");
});

test("someone past the password but not the second step gets nothing (R-A1.1)", async ({
  page,
}) => {
  await page.goto("/signin");
  await submitPassword(page, accounts.halfway.email, accounts.halfway.password);
  await expect(heading(page, "Enter code")).toBeVisible();
  await page.goto(`${parties.mail.url}/login`);
  await expect(heading(page, "Sign in")).toBeVisible();
  expect(new URL(page.url()).port).toBe(String(PORT));
});

test("'Sign out everywhere' signs the person out of their apps too (R-A19.5)", async ({ page }) => {
  await signInThroughApp(page, parties.library, accounts.student);
  await page.goto(`${parties.library.url}/refresh`);
  await expect(heading(page, "Refresh accepted")).toBeVisible();
  const delivered = parties.library.logoutTokens.length;

  await page.goto("/security-info");
  await page.getByRole("button", { name: "Sign out everywhere" }).click();
  await expect(page.getByRole("main").getByRole("status")).toHaveText(
    "You were signed out everywhere else.",
  );
  await expect.poll(() => parties.library.logoutTokens.length).toBeGreaterThan(delivered);
  const token = parties.library.logoutTokens.at(-1)!;
  const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as {
    events: Record<string, unknown>;
    iss: string;
  };
  expect(claims.iss).toBe(ISSUER);
  expect(Object.keys(claims.events)).toContain(
    "http://schemas.openid.net/event/backchannel-logout",
  );
  await page.goto(`${parties.library.url}/refresh`);
  await expect(heading(page, "Refresh refused")).toBeVisible();
});

test("an app that needs a passkey asks only for the passkey (R-A19.3)", async ({ page }) => {
  // Without a passkey, the person is told what the app needs, and the app hears access_denied.
  await signInThroughApp(page, parties.mail, accounts.researcher);
  await page.goto(`${parties.research.url}/login`);
  await expect(heading(page, "You can't use Research data")).toBeVisible();
  await expect(page.getByRole("main")).toContainText("needs a passkey or security key");

  await addVirtualAuthenticator(page);
  await page.goto("/security-info");
  await page.getByRole("button", { name: "Add sign-in method" }).click();
  await page
    .getByRole("combobox", { name: "Which method would you like to add?" })
    .selectOption({ label: "Passkey" });
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await page.getByRole("textbox", { name: "Passkey name" }).fill("Laptop");
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("button", { name: "Done" }).click();
  await expect(heading(page, "Security info")).toBeVisible();

  // The session was proven with a code: no password, no code, only the passkey.
  await page.goto(`${parties.research.url}/login`);
  await expect(page).toHaveURL(`${ISSUER}/signin/verify?option=passkey`);
  await expect(page.getByRole("textbox", { name: "Password" })).toHaveCount(0);
  await expect(page.getByRole("main")).toContainText("asks for a stronger proof");
  await page.getByRole("button", { name: "Use a passkey" }).click();
  await expect(heading(page, "Signed in to Research data")).toBeVisible();
  await expect(claim(page, "amr")).toHaveText(/\bhwk\b/);
  await expect(claim(page, "acr")).toHaveText(/phishing-resistant/);
});

test("prompt=none answers login_required without a session, and signs in silently with one (R-A19.3)", async ({
  page,
}) => {
  await page.goto(`${parties.mail.url}/login?prompt=none`);
  await expect(heading(page, "Mail: sign-in refused")).toBeVisible();
  await expect(page.locator("#error")).toHaveText("login_required");

  await signInThroughApp(page, parties.mail, accounts.other);
  await page.goto(`${parties.library.url}/login?prompt=none`);
  await expect(heading(page, "Signed in to Library")).toBeVisible();

  // max_age=0: the session is too old for this request, so the password is asked again.
  await page.goto(`${parties.library.url}/login?max_age=0`);
  await expect(heading(page, "Sign in")).toBeVisible();
});
