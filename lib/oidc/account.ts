import { and, eq } from "drizzle-orm";
import type { Executor } from "@/lib/db/client";
import { users } from "@/lib/db/schema";
import { sessionProvenWithPasskey } from "@/lib/auth/sessions";
import { ACR_VALUES } from "@/lib/apps/registry";

// What an app learns about the person, and how they proved it (RFC 8176 method references).

/**
 * The claims Factor releases, by scope. `sub` is the account's id: stable, never the email. Every
 * app learns when and how the person signed in (`auth_time`, `acr`, `amr`) without asking.
 */
export const SCOPE_CLAIMS = {
  openid: ["sub", "sid", "auth_time", "acr", "amr"],
  email: ["email", "email_verified"],
  profile: ["name", "given_name", "family_name", "role"],
} as const;

/** What each scope gives an app, in the words of the consent page. */
export const SCOPE_DESCRIPTIONS: Record<string, string> = {
  openid: "That it's you, and when and how you signed in",
  profile: "Your name and your role",
  email: "Your email address",
  offline_access: "Access to these while you are not using the app",
};

/**
 * The directory has one display name; apps that want two parts get the last word as the family
 * name and the rest as the given name, which is right for most names and harmless otherwise.
 */
export function nameParts(displayName: string): { given_name: string; family_name?: string } {
  const words = displayName.trim().split(/\s+/);
  if (words.length < 2) return { given_name: displayName.trim() };
  return { given_name: words.slice(0, -1).join(" "), family_name: words.at(-1)! };
}

/** The active account's claims, or null when it is gone or disabled. */
export async function accountClaims(
  db: Executor,
  accountId: string,
): Promise<Record<string, string | boolean> | null> {
  if (!/^[0-9a-f-]{36}$/i.test(accountId)) return null;
  const [user] = await db
    .select({ email: users.email, displayName: users.displayName, role: users.role })
    .from(users)
    .where(and(eq(users.id, accountId), eq(users.status, "active")));
  if (!user) return null;
  return {
    sub: accountId,
    email: user.email,
    // Accounts are made by the organisation for its own addresses.
    email_verified: true,
    name: user.displayName,
    ...nameParts(user.displayName),
    role: user.role,
  };
}

/** The `amr` an app receives: what the session used, plus `mfa` when two factors passed. */
export function methodReferences(session: { aal: number; methods: readonly string[] }): string[] {
  const methods = [...new Set(session.methods)];
  return session.aal >= 2 && !methods.includes("mfa") ? [...methods, "mfa"] : methods;
}

/** The `acr`: the strongest policy the session meets. */
export function contextClass(methods: string[]): string {
  return sessionProvenWithPasskey(methods) ? ACR_VALUES.phishing_resistant : ACR_VALUES.mfa;
}
