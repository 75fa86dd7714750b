import { decode } from "next-auth/jwt";
import type { Executor } from "@/lib/db/client";
import { getSecrets } from "@/lib/env";
import { sessionCookieName } from "@/lib/auth/cookie-security";
import { resolveSession, type CurrentSession } from "@/lib/auth/sessions";

// The provider runs beside Next, not inside it, so it reads the portal's session cookie from the
// raw Cookie header. The sessions table decides, exactly as for a page.

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const index = part.indexOf("=");
    if (index > 0 && part.slice(0, index).trim() === name) {
      return decodeURIComponent(part.slice(index + 1).trim());
    }
  }
  return undefined;
}

/** The live Factor session this request's cookie names, or null. */
export async function factorSessionFromCookies(
  db: Executor,
  cookieHeader: string | undefined,
): Promise<CurrentSession | null> {
  const name = sessionCookieName();
  const value = cookieValue(cookieHeader, name);
  if (!value || value.length > 4096) return null;
  try {
    const token = await decode({ token: value, secret: getSecrets().authSecret, salt: name });
    if (typeof token?.sessionToken !== "string") return null;
    return await resolveSession(db, token.sessionToken);
  } catch {
    return null; // tampered, expired or from another secret: signed out
  }
}
