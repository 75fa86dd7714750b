import "server-only";
import { cookies } from "next/headers";
import { cookieSecurity, PHONE_TICKET_COOKIE_BASENAME } from "@/lib/auth/cookie-security";
import { signInTransactionTtlMs } from "@/lib/settings/policy";

// A phone sign-in in progress is held in its own cookie (a sealed ticket), never the sign-in
// transaction cookie: it has no first factor yet, so no other step may see it.

function cookieName(): string {
  return `${cookieSecurity().prefix}${PHONE_TICKET_COOKIE_BASENAME}`;
}

/** Remembers this browser's phone sign-in. */
export async function setPhoneTicketCookie(ticket: string): Promise<void> {
  (await cookies()).set(cookieName(), ticket, {
    httpOnly: true,
    secure: cookieSecurity().secure,
    sameSite: "lax",
    path: "/",
    maxAge: Math.ceil(signInTransactionTtlMs() / 1000),
  });
}

/** This browser's phone sign-in ticket, if any. */
export async function readPhoneTicketCookie(): Promise<string | undefined> {
  return (await cookies()).get(cookieName())?.value;
}

/** Forgets this browser's phone sign-in. */
export async function clearPhoneTicketCookie(): Promise<void> {
  (await cookies()).delete({ name: cookieName(), path: "/", secure: cookieSecurity().secure });
}
