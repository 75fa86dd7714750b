import "server-only";
import { cookies } from "next/headers";
import { cookieSecurity, TRANSACTION_COOKIE_BASENAME } from "./cookie-security";
import { signInTransactionTtlMs } from "@/lib/settings/policy";

// The sign-in in progress is referenced by its own short-lived cookie, separate from the session.

function cookieName(): string {
  return `${cookieSecurity().prefix}${TRANSACTION_COOKIE_BASENAME}`;
}

/** Remembers the sign-in transaction in this browser. */
export async function setTransactionCookie(token: string): Promise<void> {
  (await cookies()).set(cookieName(), token, {
    httpOnly: true,
    secure: cookieSecurity().secure,
    sameSite: "lax",
    path: "/",
    maxAge: Math.ceil(signInTransactionTtlMs() / 1000),
  });
}

/** The token of this browser's sign-in transaction, if any. */
export async function readTransactionCookie(): Promise<string | undefined> {
  return (await cookies()).get(cookieName())?.value;
}

/** Forgets this browser's sign-in transaction. */
export async function clearTransactionCookie(): Promise<void> {
  (await cookies()).delete({ name: cookieName(), path: "/", secure: cookieSecurity().secure });
}
