import "server-only";
import { portalCookie, TRANSACTION_COOKIE_BASENAME } from "./cookie-security";
import { signInTransactionTtlMs } from "@/lib/settings/policy";

// The sign-in in progress is referenced by its own short-lived cookie, separate from the session.

const transaction = portalCookie(TRANSACTION_COOKIE_BASENAME);

/** Remembers the sign-in transaction in this browser. */
export async function setTransactionCookie(token: string): Promise<void> {
  await transaction.write(token, Math.ceil(signInTransactionTtlMs() / 1000));
}

/** The token of this browser's sign-in transaction, if any. */
export async function readTransactionCookie(): Promise<string | undefined> {
  return transaction.read();
}

/** Forgets this browser's sign-in transaction. */
export async function clearTransactionCookie(): Promise<void> {
  await transaction.clear();
}
