import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, type Cookie, type Page } from "@playwright/test";
import type { DemoSignIn } from "./app-server";
import { signIn } from "./helpers";
import { E2E_PORT } from "./state";

// For tests that are not about signing in: a browser signed in earlier in this run, through the
// UI like any other, lends its cookies to the next test as the same person. Replaying the sign-in
// would cost a password hash and a fresh authenticator code — and an account that signs in
// more than twice in one 30-second step has to wait for the next, since each code works once.

/** Younger than the step-up window (10 minutes), so a sensitive change still needs no new proof. */
const REUSE_FOR_MS = 8 * 60_000;

type Kept = Record<string, { cookies: Cookie[]; signedInAt: number }>;

function keptFile() {
  const scope = process.env.DATABASE_URL ? "postgres" : String(E2E_PORT);
  return path.join(tmpdir(), `factor-e2e-signed-in-${scope}.json`);
}

function load(): Kept {
  return existsSync(keptFile()) ? (JSON.parse(readFileSync(keptFile(), "utf8")) as Kept) : {};
}

/** Forget every kept sign-in (a fresh server run). */
export function resetSignedIn() {
  writeFileSync(keptFile(), "{}");
}

/**
 * Opens `path` signed in as `account`: with the cookies of this run's recent sign-in when its
 * session still holds, else by signing in through the UI (helpers.signIn), whose cookies are then
 * kept for the next test. Either way the page ends on `path` with "Sign out" shown.
 */
export async function signedIn(page: Page, account: DemoSignIn, where = "/") {
  const kept = load()[account.email];
  if (kept && Date.now() - kept.signedInAt < REUSE_FOR_MS) {
    await page.context().addCookies(kept.cookies);
    await page.goto(where);
    if (new URL(page.url()).pathname !== "/signin") {
      await expect(page.getByRole("button", { name: "Sign out", exact: true })).toBeVisible();
      return;
    }
    // Signed out since (sign out everywhere, a reset): sign in again below.
    await page.context().clearCookies();
  }
  await signIn(page, account);
  const all = load();
  all[account.email] = { cookies: await page.context().cookies(), signedInAt: Date.now() };
  writeFileSync(keptFile(), JSON.stringify(all));
  if (where !== "/") await page.goto(where);
}
