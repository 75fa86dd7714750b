import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { createAccounts, type Account } from "./support/accounts";
import { startAppServer, type AppServer, type DemoSignIn } from "./support/app-server";
import {
  answerOnPhone,
  askForPush,
  checkForNotifications,
  choosePush,
  openPairedPhone,
  postAnswer,
  shownNumber,
} from "./support/companion";
import { expectNoAccessibilityViolations, mainAlert, signIn } from "./support/helpers";
import { readOutbox } from "./support/outbox";
import { E2E_PORT, mainDataDir } from "./support/state";

// What an attacker tries against push approval, and the limits that stop a flood of requests
// (R-A6.2–R-A6.4, R-A1.6). One browser context is the person's computer, another plays their
// phone. This file runs its own server with a short request lifetime, so a waiting request
// expires within half a minute. Each test has its own account, with its own phone paired before
// the server starts: the limits are per account.
const PORT = E2E_PORT + 12;
const BASE_URL = `http://localhost:${PORT}`;
// Long enough for the steps before it ends to run on a busy machine, short enough to wait out.
const PUSH_TTL_SECONDS = 30;
const onPostgres = Boolean(process.env.DATABASE_URL);
const run = String(Date.now() % 100_000).padStart(5, "0");
const NAMES = ["replay", "outstanding", "window", "not-me"] as const;
let server: AppServer;
let accounts: Record<(typeof NAMES)[number], Account>;
let admin: DemoSignIn;

const LIMIT_NOTICE =
  "We can't send another request to your Authenticator app now. Wait a few minutes, or choose another way.";
const LIMITED_SUBJECT = "Sign-in requests to your phone were refused";
const REPORTED_SUBJECT = "You reported a sign-in request";
const WAITING = "Waiting for you to approve the request in the Authenticator app";

test.beforeAll(async () => {
  const dataDir = onPostgres ? mainDataDir() : mkdtempSync(path.join(tmpdir(), "factor-e2e-"));
  const created = createAccounts(
    [
      ...NAMES.map((name) => ({ name: `push-${name}-${run}`, phone: "Test phone" })),
      { name: `push-admin-${run}`, role: "admin" },
    ],
    dataDir,
    { port: PORT },
  );
  accounts = Object.fromEntries(
    NAMES.map((name) => [name, created[`push-${name}-${run}`]]),
  ) as typeof accounts;
  admin = created[`push-admin-${run}`]!;
  server = await startAppServer({
    port: PORT,
    dataDir,
    env: { PUSH_REQUEST_TTL_SECONDS: String(PUSH_TTL_SECONDS) },
  });
});
test.afterAll(async () => {
  await server?.stop();
});
test.use({ baseURL: BASE_URL });

const phones: Page[] = [];
test.afterAll(async () => {
  for (const phone of phones) await phone.context().close();
});

/** The account's paired phone, in a browser context of its own. */
async function phoneOf(browser: Browser, account: Account): Promise<Page> {
  const phone = await openPairedPhone(
    await browser.newContext({ baseURL: BASE_URL }),
    account.phone!,
  );
  phones.push(phone);
  return phone;
}

/** A second computer: a browser context of its own. */
async function otherComputer(browser: Browser): Promise<Page> {
  const page = await (await browser.newContext({ baseURL: BASE_URL })).newPage();
  phones.push(page); // closed with the phones
  return page;
}

/** The waiting page still waits: its number, its status, and no session in its browser. */
async function expectStillWaiting(page: Page, number: string) {
  await expect(
    page.getByRole("heading", { level: 1, name: "Approve sign in request" }),
  ).toBeVisible();
  await expect(page.getByLabel("Number to enter")).toHaveText(number);
  await expect(page.getByRole("status").filter({ hasText: WAITING })).toBeVisible();
  await expect(page.getByRole("button", { name: "Sign out", exact: true })).toHaveCount(0);
  const tab = await page.context().newPage();
  await tab.goto("/security-info");
  await expect(tab).toHaveURL(/\/signin/);
  await tab.close();
}

/** The notice that no request was sent. */
function limitNotice(page: Page) {
  return page.getByRole("main").getByRole("status").filter({ hasText: LIMIT_NOTICE });
}

/** What the phone says after an answer (shown until its next look for requests). */
function phoneMessage(phone: Page, text: string) {
  return phone.getByRole("main").getByRole("status").filter({ hasText: text });
}

async function finishSignIn(page: Page) {
  await expect(page.getByRole("heading", { level: 1, name: "Stay signed in?" })).toBeVisible();
  await page.getByRole("button", { name: "No" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Security info" })).toBeVisible();
}

test("a replayed approval is refused and signs nobody in; an approval cannot answer another request (R-A6.2, R-A1.6)", async ({
  page,
  browser,
}) => {
  const account = accounts.replay;
  const phone = await phoneOf(browser, account);

  const shown = await askForPush(page, account);
  const [pending] = await checkForNotifications(phone);
  const approval = await answerOnPhone(phone, { approve: shown });
  expect(approval).toMatchObject({ status: 200, result: "approved" });
  // What the phone signed and sent: this request, its number, and a P-256 signature.
  const sent = JSON.parse(approval.request.postData()!) as Record<string, unknown>;
  expect(sent).toEqual({
    deviceId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    requestId: pending!.id,
    decision: "approve",
    number: shown,
    fraud: false,
    signature: expect.stringMatching(/^[A-Za-z0-9_-]{86}$/),
  });
  expect(approval.request.headers()["content-type"]).toBe("application/json");
  await finishSignIn(page);

  // The same approval again, byte for byte, from the phone's own origin: refused.
  const url = approval.request.url();
  const body = approval.request.postData()!;
  expect(await postAnswer(phone, url, body)).toEqual({ status: 409, body: { result: "gone" } });

  // Another sign-in now waits; the old approval neither finishes it nor can be moved onto it.
  const other = await otherComputer(browser);
  const otherNumber = await askForPush(other, account);
  const [waiting, ...more] = await checkForNotifications(phone);
  expect(more).toEqual([]);
  expect(waiting!.id).not.toBe(pending!.id);

  expect(await postAnswer(phone, url, body)).toEqual({ status: 409, body: { result: "gone" } });
  await expectStillWaiting(other, otherNumber);

  // Signed for the first request: its signature does not hold for the second, whatever number.
  for (const number of [shown, otherNumber]) {
    const moved = JSON.stringify({ ...sent, requestId: waiting!.id, number });
    expect(await postAnswer(phone, url, moved)).toEqual({
      status: 400,
      body: { result: "refused" },
    });
  }
  await expectStillWaiting(other, otherNumber);

  // The second request is untouched: the phone still shows it, and approving it works.
  const [still] = await checkForNotifications(phone);
  expect(still?.id).toBe(waiting!.id);
  expect(await answerOnPhone(phone, { approve: otherNumber })).toMatchObject({
    status: 200,
    result: "approved",
  });
  await finishSignIn(other);
  expect(await checkForNotifications(phone)).toEqual([]);
  await expect(phone.getByText("No requests waiting.")).toBeVisible();
});

test("one request waits at a time: a second sign-in is told to wait or use another way until the first ends (R-A6.3)", async ({
  page,
  browser,
}) => {
  // It waits out the first request's lifetime by design.
  test.slow();
  const account = accounts.outstanding;
  const phone = await phoneOf(browser, account);
  const first = await askForPush(page, account);

  const other = await otherComputer(browser);
  await choosePush(other, account);
  await expect(limitNotice(other)).toBeVisible();
  await expect(other.getByLabel("Number to enter")).toHaveCount(0);
  await expect(other.getByRole("status").filter({ hasText: WAITING })).toHaveCount(0);
  await expect(other.getByRole("link", { name: "Sign in another way" })).toBeVisible();
  await expectNoAccessibilityViolations(other);

  // The phone has the first request only; the person is told once by email.
  const requests = await checkForNotifications(phone);
  expect(requests).toHaveLength(1);
  await expect(phone.getByRole("heading", { name: "Are you trying to sign in?" })).toHaveCount(1);
  await expect
    .poll(async () => (await readOutbox(page, { recipient: account.email })).map((m) => m.subject))
    .toContainEqual(expect.stringContaining(LIMITED_SUBJECT));
  const [notice] = await readOutbox(page, { recipient: account.email, subject: LIMITED_SUBJECT });
  expect(notice!.body).toContain("We stopped sending more for a while");
  await expectStillWaiting(page, first);

  // Once the first request expires, the second sign-in may ask again, and gets through.
  await expect(mainAlert(page)).toContainText("The request wasn't answered in time", {
    timeout: (PUSH_TTL_SECONDS + 10) * 1000,
  });
  expect(await checkForNotifications(phone)).toEqual([]);
  await other.getByRole("button", { name: "Send another request" }).click();
  const second = await shownNumber(other);
  await expect(other.getByText(LIMIT_NOTICE)).toHaveCount(0);
  expect(await checkForNotifications(phone)).toHaveLength(1);
  expect(await answerOnPhone(phone, { approve: second })).toMatchObject({ result: "approved" });
  await finishSignIn(other);
  await expect(mainAlert(page)).toContainText("The request wasn't answered in time");
  await expect(page.getByRole("button", { name: "Sign out", exact: true })).toHaveCount(0);
});

test("at most three requests in ten minutes: the fourth is refused, never reaches the phone, and the person is told once (R-A6.3)", async ({
  page,
  browser,
}) => {
  const account = accounts.window;
  const phone = await phoneOf(browser, account);

  // Three requests, each denied on the phone, so none is left waiting.
  await choosePush(page, account);
  for (let sent = 1; sent <= 3; sent++) {
    if (sent > 1) await page.getByRole("button", { name: "Send another request" }).click();
    await shownNumber(page);
    expect(await checkForNotifications(phone)).toHaveLength(1);
    expect(await answerOnPhone(phone, "deny")).toMatchObject({ status: 200, result: "denied" });
    await expect(phoneMessage(phone, "Denied. Nobody was signed in.")).toBeVisible();
    await expect(mainAlert(page)).toContainText("The request was denied");
  }

  // The fourth, from the same sign-in: refused, with the reason and another way offered.
  await page.getByRole("button", { name: "Send another request" }).click();
  await expect(page).toHaveURL(/notice=push-limit/);
  await expect(limitNotice(page)).toBeVisible();
  await expect(page.getByLabel("Number to enter")).toHaveCount(0);
  await expectNoAccessibilityViolations(page);
  expect(await checkForNotifications(phone)).toEqual([]);
  await expect(phone.getByText("No requests waiting.")).toBeVisible();
  await expectNoAccessibilityViolations(phone);

  // A fifth, from a new sign-in elsewhere: the limit is the account's, not the browser's.
  const other = await otherComputer(browser);
  await choosePush(other, account);
  await expect(limitNotice(other)).toBeVisible();
  await expect(other.getByLabel("Number to enter")).toHaveCount(0);
  expect(await checkForNotifications(phone)).toEqual([]);

  // Told by email, once for the window, not once per refusal.
  let limited: Awaited<ReturnType<typeof readOutbox>> = [];
  await expect
    .poll(
      async () =>
        (limited = await readOutbox(page, { recipient: account.email, subject: LIMITED_SUBJECT }))
          .length,
    )
    .toBe(1);
  expect(limited[0]!.body).toContain("Several sign-in requests for your account were sent");
  await expect(page.getByRole("button", { name: "Sign out", exact: true })).toHaveCount(0);

  // The person can still sign in another way: the code from their authenticator app.
  await other.getByRole("link", { name: "Sign in another way" }).click();
  await expect(other.getByRole("button", { name: "Use a verification code" })).toBeVisible();
});

test("'This wasn't me' files a fraud report, tells the person and pauses requests (R-A6.4)", async ({
  page,
  browser,
}) => {
  const account = accounts["not-me"];
  const phone = await phoneOf(browser, account);

  await askForPush(page, account);
  await checkForNotifications(phone);
  await expect(phone.getByRole("button", { name: "This wasn't me" })).toBeVisible();
  await expectNoAccessibilityViolations(phone);
  expect(await answerOnPhone(phone, "not me")).toMatchObject({ status: 200, result: "denied" });
  await expect(
    phoneMessage(
      phone,
      "Reported. Requests to this phone are paused for an hour. Change your password soon: someone may know it.",
    ),
  ).toBeVisible();
  await expectNoAccessibilityViolations(phone);
  await expect(mainAlert(page)).toContainText("The request was denied");
  await expect(page.getByRole("button", { name: "Sign out", exact: true })).toHaveCount(0);

  // Told by email at once.
  let reported: Awaited<ReturnType<typeof readOutbox>> = [];
  await expect
    .poll(
      async () =>
        (reported = await readOutbox(page, { recipient: account.email, subject: REPORTED_SUBJECT }))
          .length,
    )
    .toBe(1);
  expect(reported[0]!.body).toContain("Requests to your phone are paused for an hour");

  // Paused: neither this sign-in nor a new one sends anything to the phone.
  await page.getByRole("button", { name: "Send another request" }).click();
  await expect(page).toHaveURL(/notice=push-limit/);
  await expect(limitNotice(page)).toBeVisible();
  await expect(page.getByLabel("Number to enter")).toHaveCount(0);
  const other = await otherComputer(browser);
  await choosePush(other, account);
  await expect(limitNotice(other)).toBeVisible();
  expect(await checkForNotifications(phone)).toEqual([]);
  await expect(phone.getByText("No requests waiting.")).toBeVisible();
  // A pause is not a flood: no "requests were refused" email on top of the report.
  expect(await readOutbox(page, { recipient: account.email, subject: LIMITED_SUBJECT })).toEqual(
    [],
  );

  // The report is on the record, for the helpdesk to see.
  const desk = await otherComputer(browser);
  await signIn(desk, admin);
  await desk.goto(`/admin/audit?subject=${encodeURIComponent(account.email)}`);
  await expect(desk.getByRole("heading", { level: 1, name: "Audit log" })).toBeVisible();
  const entries = desk.getByRole("table", { name: "Audit entries" });
  const reports = entries
    .getByRole("row")
    .filter({ hasText: "Sign-in request reported as not theirs" });
  await expect(reports).toHaveCount(1);
  await expect(reports).toContainText(`Test push-not-me-${run}`);
  await expectNoAccessibilityViolations(desk);
});
