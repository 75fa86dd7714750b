import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { RADIUS_MESSAGES } from "../lib/radius/conversation";
import { radclient } from "../lib/radius/radclient";
import { createAccounts, type Account } from "./support/accounts";
import { startAppServer, type AppServer } from "./support/app-server";
import { freshCode } from "./support/authenticator";
import { confirmConsoleAction, shownSecret } from "./support/console";
import { createOwnDatabase } from "./support/database";
import { expectNoAccessibilityViolations, signIn } from "./support/helpers";
import { signedIn } from "./support/signed-in";
import { E2E_PORT } from "./support/state";

// The "done when", as people see it (R-A20): an administrator adds the VPN in the console
// and copies the shared secret it shows once; the VPN — FreeRADIUS's radclient, as in
// lib/radius/server.test.ts — asks Factor, and people get in with their password and their
// authenticator app, or out with a message they can act on; the sign-in is in My sign-ins and
// the console. A server of this file's own with RADIUS on, so its clients and dropped-packet
// counts are this file's alone.
const PORT = E2E_PORT + 17;
const RADIUS_PORT = E2E_PORT + 18;
const BASE_URL = `http://localhost:${PORT}`;
const run = String(Date.now() % 100_000).padStart(5, "0");
const VPN = "Campus VPN";
const SERVICE = `VPN (${VPN})`;
const SECRET_PATTERN = /^[0-9a-f]{48}$/;

let server: AppServer;
let ownDatabase: Awaited<ReturnType<typeof createOwnDatabase>>;
let accounts: Record<"admin" | "person", Account>;
/** What the administrator copied from the console into the VPN. */
const vpn = { secret: "", page: "" };

test.beforeAll(async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "factor-e2e-"));
  ownDatabase = await createOwnDatabase(`factor_e2e_radius_${run}`);
  const env: Record<string, string> = {
    PUBLIC_URL: BASE_URL,
    RADIUS_PORT: String(RADIUS_PORT),
    ...(ownDatabase ? { DATABASE_URL: ownDatabase.url } : {}),
  };
  const created = createAccounts(
    [
      { name: `radius-admin-${run}`, role: "admin", authenticator: true },
      { name: `radius-person-${run}`, displayName: `Remote ${run}`, authenticator: true },
    ],
    dataDir,
    { env, port: PORT },
  );
  accounts = { admin: created[`radius-admin-${run}`]!, person: created[`radius-person-${run}`]! };
  server = await startAppServer({ port: PORT, dataDir, env });
});
test.afterAll(async () => {
  await server?.stop();
  await ownDatabase?.drop();
});
test.use({ baseURL: BASE_URL });
test.describe.configure({ mode: "serial" });

/**
 * One Access-Request to Factor as the VPN sends it, with a Message-Authenticator; a request
 * that gets no answer is given up after one try of two seconds.
 */
function vpnAsks(attributes: Record<string, string>, secret = vpn.secret) {
  return radclient(
    `127.0.0.1:${RADIUS_PORT}`,
    secret,
    { ...attributes, "Message-Authenticator": "0x00", "NAS-Identifier": "campus-vpn" },
    { timeoutSeconds: 2, retries: 1 },
  );
}

/** The password step, as a person types it into the VPN's prompt. */
const withPassword = (account: Account, password = account.password) =>
  vpnAsks({ "User-Name": account.email, "User-Password": password });

const heading = (page: Page, name: string) => page.getByRole("heading", { level: 1, name });

test("an administrator adds the VPN from the keyboard and sees its shared secret once", async ({
  page,
}) => {
  await signIn(page, accounts.admin);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin" }).click();
  await page
    .getByRole("navigation", { name: "Helpdesk console" })
    .getByRole("link", { name: "RADIUS clients" })
    .click();
  await expect(heading(page, "RADIUS clients")).toBeVisible();
  await expect(page.getByText(`RADIUS is listening on udp port ${RADIUS_PORT}.`)).toBeVisible();
  await expect(page.getByText("No RADIUS clients yet.")).toBeVisible();
  await expectNoAccessibilityViolations(page);

  await page.getByRole("button", { name: "Add RADIUS client" }).focus();
  await page.keyboard.press("Enter");
  const form = page.getByRole("dialog", { name: "Add RADIUS client" });
  await expect(form.getByRole("textbox", { name: "Name" })).toBeFocused();
  await page.keyboard.type(VPN);
  await page.keyboard.press("Tab");
  await expect(form.getByRole("textbox", { name: "Address" })).toBeFocused();
  await page.keyboard.type("127.0.0.1");
  await expect(form.getByRole("combobox", { name: "Who can use it" })).toHaveValue("everyone");
  await form.getByRole("textbox", { name: "Reason" }).fill("Campus VPN moves to MFA");
  await form.getByRole("button", { name: "Save" }).press("Enter");

  await expect(form.getByRole("status").first()).toHaveText(`${VPN} was added.`);
  vpn.secret = await shownSecret(form, "Shared secret");
  expect(vpn.secret).toMatch(SECRET_PATTERN);
  expect(page.url()).not.toContain(vpn.secret);
  await expect(form.getByText("it will not be shown again")).toBeVisible();
  await expectNoAccessibilityViolations(page);

  await form.getByRole("link", { name: "Open the client's page" }).click();
  await expect(heading(page, VPN)).toBeVisible();
  vpn.page = new URL(page.url()).pathname;
  await expect(page.getByLabel("Authentication port (UDP)")).toHaveText(String(RADIUS_PORT));
  await expect(page.getByLabel("Client address")).toHaveText("127.0.0.1");
  expect(await page.content()).not.toContain(vpn.secret);
  await expectNoAccessibilityViolations(page);

  await page.goto("/admin/radius");
  const table = page.getByRole("table", { name: "RADIUS clients" });
  await expect(table.getByRole("row", { name: new RegExp(VPN) }).getByRole("cell")).toHaveText([
    VPN,
    "127.0.0.1",
    "Everyone",
    "Required",
    "Enabled",
  ]);
});

test("a person gets in through the VPN with password and code, or out with a message to act on", async ({
  page,
  browser,
}) => {
  const { person } = accounts;
  const challenge = await withPassword(person);
  expect(challenge.code, challenge.output).toBe("Access-Challenge");
  expect(challenge.replyMessage).toBe("Enter the code from your authenticator app");
  expect(challenge.state).toMatch(/^0x[0-9a-f]+$/i);

  const accepted = await vpnAsks({
    "User-Name": person.email,
    "User-Password": await freshCode(person.email, 0, PORT),
    State: challenge.state!,
  });
  expect(accepted.code, accepted.output).toBe("Access-Accept");

  const refused = await withPassword(person, `${person.password}-typo`);
  expect(refused).toMatchObject({
    code: "Access-Reject",
    replyMessage: "Your account or password is incorrect.",
  });

  // A VPN configured with the wrong secret gets no answer at all, and the console counts it.
  const forged = await vpnAsks(
    { "User-Name": person.email, "User-Password": person.password },
    "not-the-shared-secret",
  );
  expect(forged.code).toBeNull();

  // The person, at the portal: both VPN sign-ins are there, named after the service.
  const own = await browser.newContext({ baseURL: BASE_URL });
  try {
    const portal = await own.newPage();
    await signIn(portal, person);
    await portal
      .getByRole("navigation", { name: "Main" })
      .getByRole("link", { name: "My sign-ins" })
      .click();
    await expect(heading(portal, "My sign-ins")).toBeVisible();
    const viaVpn = portal
      .getByRole("list", { name: "Recent sign-ins" })
      .getByRole("listitem")
      .filter({ hasText: SERVICE });
    // "Successful sign-in" is also inside "Unsuccessful sign-in": match the outcome whole.
    const outcome = (text: string) =>
      viaVpn.filter({ has: portal.getByText(text, { exact: true }) });
    const success = outcome("Successful sign-in");
    await expect(success).toHaveCount(1);
    await expect(success).toContainText("Private network");
    await success.getByRole("button", { name: "Show details" }).click();
    await expect(success).toContainText("Password, Authenticator app or hardware token code");
    const failure = outcome("Unsuccessful sign-in");
    await expect(failure).toHaveCount(1);
    await failure.getByRole("button", { name: "Show details" }).click();
    await expect(failure).toContainText("The password was wrong.");
    await expectNoAccessibilityViolations(portal);
  } finally {
    await own.close();
  }

  // The administrator: the person's sign-ins in the console, and the dropped packet.
  await signedIn(page, accounts.admin, "/admin/users");
  await page.getByRole("searchbox", { name: "Search users" }).fill(`Remote ${run}`);
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await page.getByRole("link", { name: `Remote ${run}` }).click();
  await expect(heading(page, `Remote ${run}`)).toBeVisible();
  const signIns = page.getByRole("table", { name: /most recent sign-ins/ });
  await expect(
    signIns.getByRole("row").filter({ hasText: SERVICE }).filter({ hasText: "Signed in." }),
  ).toHaveCount(1);

  await page.goto("/admin/radius");
  await expect(page.getByRole("region", { name: "Dropped packets" })).toContainText(
    "Missing or wrong Message-Authenticator (often a wrong shared secret): 1",
  );
});

test("a rotated secret works at once and the old one gets no answer; a disabled VPN gets none", async ({
  page,
}) => {
  const { person } = accounts;
  await signedIn(page, accounts.admin, vpn.page);
  await expect(heading(page, VPN)).toBeVisible();

  const rotate = await confirmConsoleAction(
    page,
    "Rotate secret",
    "Rotate secret",
    "Secret pasted into a ticket by mistake",
  );
  await expect(rotate.getByRole("status").first()).toContainText("A new shared secret was made");
  const rotated = await shownSecret(rotate, "Shared secret");
  expect(rotated).toMatch(SECRET_PATTERN);
  expect(rotated).not.toBe(vpn.secret);
  await expect(rotate.getByRole("button", { name: "Confirm" })).toHaveCount(0);
  await expectNoAccessibilityViolations(page);
  await rotate.getByRole("button", { name: "Cancel" }).click();

  expect((await withPassword(person)).code).toBeNull();
  const previous = vpn.secret;
  vpn.secret = rotated;
  expect((await withPassword(person)).code).toBe("Access-Challenge");

  await page.reload();
  expect(await page.content()).not.toContain(rotated);
  await confirmConsoleAction(page, "Disable", "Disable RADIUS client", "VPN being replaced");
  await expect(page.getByText("This client is disabled")).toBeVisible();
  await expect(page.getByRole("button", { name: "Enable", exact: true })).toBeVisible();
  expect((await withPassword(person)).code).toBeNull();

  // Each dropped packet is counted by why: the old secret, then a client no longer enabled.
  await page.goto("/admin/radius");
  const drops = page.getByRole("region", { name: "Dropped packets" });
  await expect(drops.getByRole("listitem")).toHaveText([
    "From an address no enabled client has: 1",
    "Missing or wrong Message-Authenticator (often a wrong shared secret): 2",
    "Not a RADIUS Access-Request: 0",
  ]);
  await expectNoAccessibilityViolations(page);

  // The audit log has each change with its reason, and neither secret.
  await page.goto("/admin/audit");
  const entries = page.getByRole("table", { name: "Audit entries" });
  for (const text of [
    "Campus VPN moves to MFA",
    "Secret pasted into a ticket by mistake",
    "VPN being replaced",
  ])
    await expect(entries).toContainText(text);
  const log = await page.content();
  expect(log).not.toContain(previous);
  expect(log).not.toContain(rotated);
});

test("Help, read signed out, explains the VPN's Access-Reject in the words the VPN shows", async ({
  page,
}) => {
  await page.goto("/help#access-reject");
  const answer = page.getByRole("region", {
    name: "The VPN or wifi says \u201cAccess-Reject\u201d. What does that mean?",
  });
  // This portal answers the VPN here: the answer says so, and quotes what the person reads.
  await expect(answer).toContainText("asks this portal for your password");
  for (const message of [
    RADIUS_MESSAGES.refused,
    RADIUS_MESSAGES.noResponse,
    RADIUS_MESSAGES.denied,
    RADIUS_MESSAGES.notAllowed,
    RADIUS_MESSAGES.noMfa(BASE_URL).split(" — ")[0]!,
    RADIUS_MESSAGES.noUsableMethod(BASE_URL).split(" — ")[0]!,
  ])
    await expect(answer).toContainText(message);
  await expect(answer.getByRole("link", { name: "limited signal" })).toHaveAttribute(
    "href",
    "#limited-signal",
  );
  await expect(
    page.getByRole("region", { name: "Why am I asked to change my password many times (VPN)?" }),
  ).toContainText("checks your password and your sign-in method with this portal");
  await expectNoAccessibilityViolations(page);
});
