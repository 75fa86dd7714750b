import { getEnv } from "@/lib/env";

// Every cookie the portal sets is named, flagged and read here, so they cannot drift apart.
// next/headers is loaded only when a cookie is read or written: the OpenID Connect provider
// (lib/oidc) names the session cookie from outside Next, where loading it fails.

const cookies = async () => (await import("next/headers")).cookies();

export const SESSION_COOKIE_BASENAME = "factor.session";
export const TRANSACTION_COOKIE_BASENAME = "factor.signin";
export const PHONE_TICKET_COOKIE_BASENAME = "factor.phone-signin";
export const PASSWORD_RESET_COOKIE_BASENAME = "factor.reset";
export const ACCOUNT_RECOVERY_COOKIE_BASENAME = "factor.recover";

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

/** A portal cookie's full name, prefixed where browsers allow it. */
export function cookieName(base: string): string {
  return `${cookieSecurity().prefix}${base}`;
}

/** The session cookie's full name. */
export function sessionCookieName(): string {
  return cookieName(SESSION_COOKIE_BASENAME);
}

/**
 * The attributes every portal cookie has: HttpOnly, SameSite=Lax, the whole site, and `Secure`
 * where browsers allow it. Without `maxAgeSeconds` it lasts as long as the browser session.
 */
export function cookieOptions(maxAgeSeconds?: number) {
  const options = {
    httpOnly: true,
    secure: cookieSecurity().secure,
    sameSite: "lax" as const,
    path: "/",
  };
  return maxAgeSeconds === undefined ? options : { ...options, maxAge: maxAgeSeconds };
}

/** One portal cookie in this request: read it anywhere, write or clear it in an action or route. */
export function portalCookie(base: string) {
  return {
    async read(): Promise<string | undefined> {
      return (await cookies()).get(cookieName(base))?.value;
    },
    async write(value: string, maxAgeSeconds?: number): Promise<void> {
      (await cookies()).set(cookieName(base), value, cookieOptions(maxAgeSeconds));
    },
    async clear(): Promise<void> {
      (await cookies()).delete({
        name: cookieName(base),
        path: "/",
        secure: cookieSecurity().secure,
      });
    },
  };
}
