import { expect, type BrowserContext, type Page, type Request } from "@playwright/test";
import type { PendingPush } from "../../lib/mfa/companion-protocol";
import type { DemoSignIn } from "./app-server";
import { submitPassword } from "./helpers";

// The companion authenticator as a person uses it: a browser context of its own plays their
// phone. Only e2e/companion.spec.ts pairs one through Security info and the one-time link; the
// other specs start from a phone createAccounts paired (e2e/support/create-accounts.ts).

/**
 * A phone paired with the companion app, as its page keeps it in IndexedDB (StoredDevice in
 * app/authenticator/_lib/device.ts), with the keys in a form that can be sent to the browser.
 */
export type PairedPhone = {
  deviceId: string;
  name: string;
  account: string;
  issuer: string;
  /** The device's private ECDSA P-256 key; the server holds its public half. */
  signingKey: JsonWebKey;
  /** The TOTP secret (base32) the pairing answer gave the phone. */
  totpSecret: string;
  /** The code that confirmed the pairing: its time-step is spent. */
  confirmedWith: string;
};

/** The bytes of a base32 secret, as the app imports them into its TOTP key. */
function base32Bytes(secret: string): number[] {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const char of secret.toUpperCase().replace(/[^A-Z2-7]/g, "")) {
    value = (value << 5) | alphabet.indexOf(char);
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return bytes;
}

/**
 * Opens /authenticator in `context` holding the paired `phone`, as the app keeps it after
 * pairing: both keys imported as non-extractable CryptoKeys and stored in the app's IndexedDB.
 * Returns the page, showing the phone's codes.
 */
export async function openPairedPhone(context: BrowserContext, phone: PairedPhone): Promise<Page> {
  const page = await context.newPage();
  await page.goto("/authenticator");
  // Not paired yet: the app has opened (and created) its storage.
  await expect(page.getByText(/isn.t paired yet/)).toBeVisible();
  await page.evaluate(
    async ({ signingKey, totpBytes, ...device }) => {
      const stored = {
        ...device,
        signingKey: await crypto.subtle.importKey(
          "jwk",
          signingKey,
          { name: "ECDSA", namedCurve: "P-256" },
          false,
          ["sign"],
        ),
        totpKey: await crypto.subtle.importKey(
          "raw",
          new Uint8Array(totpBytes),
          { name: "HMAC", hash: "SHA-1" },
          false,
          ["sign"],
        ),
        lastTimestamp: 0,
      };
      // The app's store: database "factor-authenticator", object store "device", key "current".
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open("factor-authenticator", 1);
        request.onupgradeneeded = () => request.result.createObjectStore("device");
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      await new Promise<void>((resolve, reject) => {
        const transaction = db.transaction("device", "readwrite");
        transaction.objectStore("device").put(stored, "current");
        transaction.oncomplete = () => resolve();
        transaction.onerror = () => reject(transaction.error);
      });
      db.close();
    },
    {
      deviceId: phone.deviceId,
      name: phone.name,
      account: phone.account,
      issuer: phone.issuer,
      signingKey: phone.signingKey,
      totpBytes: base32Bytes(phone.totpSecret),
    },
  );
  await page.reload();
  await expect(page.getByRole("heading", { level: 1, name: "Authenticator" })).toBeVisible();
  await expect(page.getByLabel("Verification code")).toHaveText(/^\d{6}$/);
  return page;
}

/**
 * The password, then "Sign in another way" → "Approve a request on my Authenticator app" (the
 * account's default is a code). Ends on "Approve sign in request", with or without a number.
 */
export async function choosePush(page: Page, account: DemoSignIn) {
  await page.goto("/signin");
  await submitPassword(page, account.email, account.password);
  await expect(page.getByRole("heading", { level: 1, name: "Enter code" })).toBeVisible();
  await page.getByRole("link", { name: "Sign in another way" }).click();
  await page.getByRole("button", { name: "Approve a request on my Authenticator app" }).click();
  await expect(
    page.getByRole("heading", { level: 1, name: "Approve sign in request" }),
  ).toBeVisible();
}

/** The number the waiting page shows, once a request is waiting. */
export async function shownNumber(page: Page): Promise<string> {
  await expect(
    page.getByRole("status").filter({ hasText: "Waiting for you to approve" }),
  ).toBeVisible();
  const number = page.getByLabel("Number to enter");
  await expect(number).toHaveText(/^\d{2}$/);
  return (await number.textContent())!;
}

/** `choosePush`, then the number shown. */
export async function askForPush(page: Page, account: DemoSignIn): Promise<string> {
  await choosePush(page, account);
  return shownNumber(page);
}

/** "Check for notifications" on the phone; returns the requests the server gave it. */
export async function checkForNotifications(phone: Page): Promise<PendingPush[]> {
  // What the last answer did stays on screen until read: press OK first, as a person would.
  const ok = phone.getByRole("button", { name: "OK", exact: true });
  if (await ok.isVisible()) await ok.click();
  const answered = phone.waitForResponse(
    (response) =>
      response.request().method() === "POST" &&
      new URL(response.url()).pathname === "/api/authenticator/requests",
  );
  await phone.getByRole("button", { name: "Check for notifications" }).click();
  const response = await answered;
  expect(response.status()).toBe(200);
  return ((await response.json()) as { requests: PendingPush[] }).requests;
}

/** Whether a request is the phone's answer to a sign-in request. */
export function isAnswer(request: Request): boolean {
  return (
    request.method() === "POST" && new URL(request.url()).pathname === "/api/authenticator/answer"
  );
}

/**
 * Answers the request the phone shows: types `number` and approves, denies, or reports "This
 * wasn't me". With `helpdesk`, the request is a helpdesk agent's check of a caller, and the
 * number is the one the agent reads out. Returns the HTTP request the phone sent and the server's
 * answer to it.
 */
export async function answerOnPhone(
  phone: Page,
  answer: { approve: string } | "deny" | "not me",
  options: { helpdesk?: boolean } = {},
): Promise<{ request: Request; status: number; result: string }> {
  await expect(
    phone.getByRole("heading", {
      name: options.helpdesk ? "The helpdesk is verifying it's you" : "Are you trying to sign in?",
    }),
  ).toBeVisible();
  const sent = phone.waitForRequest(isAnswer);
  const answered = phone.waitForResponse((response) => isAnswer(response.request()));
  if (typeof answer === "object") {
    await phone
      .getByLabel(
        options.helpdesk
          ? "Enter the number the helpdesk reads to you"
          : "Enter the number shown in your browser",
      )
      .fill(answer.approve);
    await phone.getByRole("button", { name: "Approve", exact: true }).click();
  } else {
    await phone
      .getByRole("button", { name: answer === "deny" ? "Deny" : "This wasn't me", exact: true })
      .click();
  }
  const request = await sent;
  const response = await answered;
  return {
    request,
    status: response.status(),
    result: ((await response.json()) as { result: string }).result,
  };
}

/** Sends a JSON body to the answer endpoint from the phone's own page, as its app does. */
export async function postAnswer(
  phone: Page,
  url: string,
  body: string,
): Promise<{ status: number; body: unknown }> {
  return phone.evaluate(
    async ({ url, body }) => {
      const response = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body,
      });
      return { status: response.status, body: (await response.json()) as unknown };
    },
    { url, body },
  );
}
