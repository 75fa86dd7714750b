import "server-only";
import { cache } from "react";
import { redirect } from "next/navigation";
import { getRequestPath } from "@/lib/security/request-context";
import { loadSession, readSessionToken } from "./next-auth";
import type { CurrentSession } from "./sessions";

/** The signed-in session for this request, re-checked against the sessions table, or null. */
export const getCurrentSession = cache(async (): Promise<CurrentSession | null> => {
  const token = await readSessionToken();
  return token ? loadSession(token) : null;
});

/**
 * The session, or a redirect to sign-in that comes back to this page. Every page and action calls
 * this itself: the proxy is never the control (R-A17.1).
 */
export async function requireSession(): Promise<CurrentSession> {
  const session = await getCurrentSession();
  if (!session) {
    const returnTo = await getRequestPath();
    redirect(returnTo === "/" ? "/signin" : `/signin?callbackUrl=${encodeURIComponent(returnTo)}`);
  }
  return session;
}
