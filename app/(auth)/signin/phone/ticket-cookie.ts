import "server-only";
import { PHONE_TICKET_COOKIE_BASENAME, portalCookie } from "@/lib/auth/cookie-security";
import { signInTransactionTtlMs } from "@/lib/settings/policy";

// A phone sign-in in progress is held in its own cookie (a sealed ticket), never the sign-in
// transaction cookie: it has no first factor yet, so no other step may see it.

const ticket = portalCookie(PHONE_TICKET_COOKIE_BASENAME);

/** Remembers this browser's phone sign-in. */
export async function setPhoneTicketCookie(value: string): Promise<void> {
  await ticket.write(value, Math.ceil(signInTransactionTtlMs() / 1000));
}

/** This browser's phone sign-in ticket, if any. */
export async function readPhoneTicketCookie(): Promise<string | undefined> {
  return ticket.read();
}

/** Forgets this browser's phone sign-in. */
export async function clearPhoneTicketCookie(): Promise<void> {
  await ticket.clear();
}
