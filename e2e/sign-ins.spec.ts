import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { createAccounts } from "./support/accounts";
import { startAppServer, type AppServer, type DemoSignIn } from "./support/app-server";
import { freshCode, portOf } from "./support/authenticator";
import {
  expectNoAccessibilityViolations,
  mainAlert,
  signIn,
  submitPassword,
} from "./support/helpers";
import { E2E_PORT, mainDataDir, tester } from "./support/state";

// My sign-ins (R-A14): where each sign-in came from, as the person sees it. A server of this
// file's own trusts the test runner as a proxy (TRUSTED_PROXIES), so a sign-in can come "from" a
// public address through X-Forwarded-For; the main server trusts nobody, so there the same header
// must be ignored (R-A14.5).

const PROXY_PORT = E2E_PORT + 2;
const onPostgres = Boolean(process.env.DATABASE_URL);
const LONDON = "81.2.69.160"; // Andrews & Arnold, London
const GOOGLE = "8.8.8.8"; // Google: a hosting network, in the United States
const AWS = "3.5.140.2"; // Amazon (AS16509), on the hosting list
const HOSTING_REASON = /hosting or VPN network/;
const HTML_USER_AGENT = "Mozilla/5.0 <img src=x onerror=alert(1)> Factor-e2e";

let proxyServer: AppServer;
let places: DemoSignIn;
let hosting: DemoSignIn;

test.beforeAll(async () => {
  // On PostgreSQL this is a second instance of the same deployment: same database and secrets.
  const dataDir = onPostgres ? mainDataDir() : mkdtempSync(path.join(tmpdir(), "factor-e2e-"));
  const created = createAccounts([`places-${PROXY_PORT}`, `hosting-${PROXY_PORT}`], dataDir);
  places = created[`places-${PROXY_PORT}`]!;
  hosting = created[`hosting-${PROXY_PORT}`]!;
  proxyServer = await startAppServer({
    port: PROXY_PORT,
    dataDir,
    env: { TRUSTED_PROXIES: "127.0.0.1/8,::1" },
  });
});
test.afterAll(async () => {
  await proxyServer?.stop();
});

/** A browser of its own, optionally behind a "proxy" that says where the request came from. */
async function browserFrom(browser: Browser, forwardedFor?: string, userAgent?: string) {
  const context = await browser.newContext({
    baseURL: `http://localhost:${PROXY_PORT}`,
    ...(userAgent ? { userAgent } : {}),
    ...(forwardedFor ? { extraHTTPHeaders: { "X-Forwarded-For": forwardedFor } } : {}),
  });
  return context.newPage();
}

/** Password, then a fresh code; optionally "Don't ask again". Stops before anything after. */
async function passwordAndCode(page: Page, account: DemoSignIn, remember = false) {
  await page.goto("/signin");
  await submitPassword(page, account.email, account.password);
  await expect(page.getByRole("heading", { level: 1, name: "Enter code" })).toBeVisible();
  if (remember) await page.getByRole("checkbox", { name: /Don't ask again for \d+ days/ }).check();
  await page
    .getByRole("textbox", { name: "Code" })
    .fill(await freshCode(account.email, 0, portOf(page)));
  await page.getByRole("button", { name: "Verify" }).click();
}

async function signOut(page: Page) {
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
}

/** Signed in and in the portal, never having been asked "Stay signed in?". */
async function expectInWithoutStayQuestion(page: Page) {
  await expect(page.getByRole("button", { name: "Sign out", exact: true })).toBeVisible();
  await expect(page).not.toHaveURL(/stay-signed-in/);
}

function recentSignIns(page: Page) {
  return page.getByRole("list", { name: "Recent sign-ins" });
}

/** The list item showing an IP address (its summary names the address exactly once). */
function itemFor(page: Page, ip: string) {
  return recentSignIns(page)
    .getByRole("listitem")
    .filter({ has: page.getByText(ip, { exact: true }) })
    .first();
}

test("shows country, city and provider for public addresses and 'Private network' for this machine", async ({
  browser,
}) => {
  // First sign-in from London: sets up the authenticator app, nothing unusual yet.
  const london = await browserFrom(browser, LONDON);
  await signIn(london, places);
  await london.context().close();

  // Minutes later from Google's network in the United States: asked for the code, and — unusual —
  // not offered "Stay signed in?".
  const google = await browserFrom(browser, GOOGLE);
  await passwordAndCode(google, places);
  await expectInWithoutStayQuestion(google);
  await google.context().close();

  // From this machine with no forwarding header: the socket's own address.
  const here = await browserFrom(browser);
  await signIn(here, places);
  await here.goto("/sign-ins");
  await expect(here.getByRole("heading", { level: 1, name: "My sign-ins" })).toBeVisible();
  await expect(here.getByRole("link", { name: "My sign-ins" })).toHaveAttribute(
    "aria-current",
    "page",
  );

  const fromLondon = itemFor(here, LONDON);
  await expect(fromLondon).toContainText("Successful sign-in");
  await expect(fromLondon).toContainText("London, United Kingdom");
  await expect(fromLondon).toContainText("Andrews & Arnold Ltd");
  await expect(fromLondon).toContainText("Security portal");

  const fromGoogle = itemFor(here, GOOGLE);
  await expect(fromGoogle).toContainText("Unusual activity");
  await expect(fromGoogle).toContainText("United States");
  await expect(fromGoogle).toContainText(/Google/);
  await fromGoogle.getByRole("button", { name: "Show details" }).click();
  await expect(fromGoogle.getByRole("button", { name: "Hide details" })).toHaveAttribute(
    "aria-expanded",
    "true",
  );
  await expect(fromGoogle).toContainText(HOSTING_REASON);
  await expect(fromGoogle).toContainText("AS15169");

  const fromHere = itemFor(here, "127.0.0.1");
  await expect(fromHere).toContainText("Successful sign-in");
  await expect(fromHere).toContainText("Private network");

  await expect(
    here.getByRole("link", { name: "Look unfamiliar? Secure your account" }),
  ).toHaveAttribute("href", "/secure-account");
  await expect(here.getByRole("main")).toContainText(/Locations are approximate/);
  await expectNoAccessibilityViolations(here);
  await here.context().close();
});

test("a sign-in from a hosting network asks for the code despite 'Don't ask again', and shows why", async ({
  browser,
}) => {
  const page = await browserFrom(browser);
  await signIn(page, hosting); // sets up the app
  await signOut(page);
  // "Don't ask again": the next sign-in from here skips the code.
  await passwordAndCode(page, hosting, true);
  await expect(page.getByRole("heading", { level: 1, name: "Stay signed in?" })).toBeVisible();
  await page.getByRole("button", { name: "No" }).click();
  await signOut(page);
  await submitPassword(page, hosting.email, hosting.password);
  await expect(page.getByRole("heading", { level: 1, name: "Stay signed in?" })).toBeVisible();
  await page.getByRole("button", { name: "No" }).click();
  await signOut(page);

  // The same browser through an Amazon address: the code is asked for all the same (R-A14.6).
  await page.context().setExtraHTTPHeaders({ "X-Forwarded-For": AWS });
  await passwordAndCode(page, hosting);
  await expectInWithoutStayQuestion(page);

  await page.goto("/sign-ins");
  const fromAws = itemFor(page, AWS);
  await expect(fromAws).toContainText("Unusual activity");
  await expect(fromAws).toContainText(HOSTING_REASON);
  await page.getByRole("combobox", { name: "Show" }).selectOption({ label: "Unusual activity" });
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/show=unusual/);
  await expect(recentSignIns(page).getByText("Unusual activity", { exact: true })).toHaveCount(1);
  await expectNoAccessibilityViolations(page);

  // "This was me": this network is now known, so the next sign-in from it is not unusual and
  // the remembered browser counts again.
  await itemFor(page, AWS).getByRole("button", { name: "This was me" }).click();
  await expect(page.getByRole("main").getByRole("status")).toContainText(/less unusual/);
  await expect(itemFor(page, AWS)).toContainText("You said this was you.");
  await signOut(page);
  await submitPassword(page, hosting.email, hosting.password);
  await expect(page.getByRole("heading", { level: 1, name: "Stay signed in?" })).toBeVisible();
  await page.getByRole("button", { name: "No" }).click();
  await expect(page.getByRole("button", { name: "Sign out", exact: true })).toBeVisible();
  await page.goto("/sign-ins");
  await expect(recentSignIns(page).getByRole("listitem").first()).toContainText(
    "Successful sign-in",
  );
  await page.context().close();
});

test.describe("on the main server, which trusts no proxy", () => {
  test.use({ baseURL: `http://localhost:${E2E_PORT}` });

  test("a spoofed X-Forwarded-For is ignored and a user agent holding HTML shows as text (R-A14.5, R-A14.3)", async ({
    browser,
  }) => {
    const account = tester("sign-ins");
    const context = await browser.newContext({
      userAgent: HTML_USER_AGENT,
      extraHTTPHeaders: { "X-Forwarded-For": LONDON },
    });
    const page = await context.newPage();
    let dialogs = 0;
    page.on("dialog", (dialog) => {
      dialogs++;
      void dialog.dismiss();
    });

    await page.goto("/signin");
    await submitPassword(page, account.email, "not-the-password");
    await expect(mainAlert(page)).toHaveText("Your account or password is incorrect.");
    await signIn(page, account);
    await page.goto("/sign-ins");

    const list = recentSignIns(page);
    await expect(list).not.toContainText(LONDON);
    await expect(list).not.toContainText("London");
    const newest = list.getByRole("listitem").first();
    await expect(newest).toContainText("Successful sign-in");
    await expect(newest).toContainText("Private network");
    await expect(newest).toContainText(/127\.0\.0\.1|::1/);
    await newest.getByRole("button", { name: "Show details" }).click();
    await expect(newest.getByText(HTML_USER_AGENT, { exact: true })).toBeVisible();
    await expect(page.locator('img[src="x"]')).toHaveCount(0);
    expect(dialogs).toBe(0);
    await expectNoAccessibilityViolations(page);

    // The filter: only the wrong password under "Unsuccessful", only successes under "Successful".
    await page.getByRole("combobox", { name: "Show" }).selectOption({ label: "Unsuccessful" });
    await page.getByRole("button", { name: "Apply" }).click();
    await expect(page).toHaveURL(/show=failure/);
    const failures = recentSignIns(page).getByText(/^(Successful|Unsuccessful) sign-in$/);
    await expect(failures).toHaveText(["Unsuccessful sign-in"]);
    await expect(recentSignIns(page)).toContainText("The password was wrong.");
    await page.getByRole("combobox", { name: "Show" }).selectOption({ label: "Successful" });
    await page.getByRole("button", { name: "Apply" }).click();
    await expect(page).toHaveURL(/show=success/);
    await expect(
      recentSignIns(page).getByText("Unsuccessful sign-in", { exact: true }),
    ).toHaveCount(0);

    // "This wasn't me" on the wrong password starts Secure your account for that event.
    await page.goto("/sign-ins?show=failure");
    await recentSignIns(page)
      .getByRole("listitem")
      .first()
      .getByRole("button", { name: "This wasn't me" })
      .click();
    await expect(page).toHaveURL(/\/secure-account\?event=\d+/);
    await page.goto("/sign-ins?show=failure");
    await expect(recentSignIns(page).getByRole("listitem").first()).toContainText(
      "You reported that this wasn't you.",
    );
    await context.close();
  });
});
