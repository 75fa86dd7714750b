import { getEnv } from "@/lib/env";

export const SESSION_COOKIE_BASENAME = "factor.session";
export const TRANSACTION_COOKIE_BASENAME = "factor.signin";
export const PHONE_TICKET_COOKIE_BASENAME = "factor.phone-signin";

/**
 * Cookies are `Secure` and `__Host-` prefixed wherever browsers allow it (R-A12.2): on https,
 * and on localhost, which browsers treat as a secure context.
 */
export function cookieSecurity(): { secure: boolean; prefix: "__Host-" | "" } {
  const url = new URL(getEnv().PUBLIC_URL);
  const secure =
    url.protocol === "https:" || ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
  return { secure, prefix: secure ? "__Host-" : "" };
}

/** The session cookie's full name. */
export function sessionCookieName(): string {
  return `${cookieSecurity().prefix}${SESSION_COOKIE_BASENAME}`;
}
