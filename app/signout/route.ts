import { NextResponse } from "next/server";
import {
  cookieName,
  cookieOptions,
  PHONE_TICKET_COOKIE_BASENAME,
  SESSION_COOKIE_BASENAME,
  TRANSACTION_COOKIE_BASENAME,
} from "@/lib/auth/cookie-security";
import { getCurrentSession } from "@/lib/auth/current";
import { signOut } from "@/lib/auth/devices";
import { getDb } from "@/lib/db/client";
import { getRequestContext } from "@/lib/security/request-context";

/**
 * Sign out: the session row is revoked (so a copied cookie is dead too), its cookies cleared and
 * the browser told to drop its cache (R-A12.10). POST only; server.ts checks origin.
 */
export async function POST() {
  const session = await getCurrentSession();
  if (session) {
    await signOut(
      await getDb(),
      { id: session.id, userId: session.user.id },
      await getRequestContext(),
    );
  }
  // A relative Location keeps the redirect independent of the Host header (R-A17.8).
  const response = new NextResponse(null, {
    status: 303,
    headers: {
      Location: "/signin?notice=signed-out",
      // Only what the portal itself keeps (docs/decisions/0003). Not "cookies": that would also
      // wipe this browser's "Don't ask again" and "Stay signed in?" answers, which belong to the
      // browser, not the session; the session and sign-in cookies are expired one by one below.
      // Not "storage": the portal keeps nothing in the browser's storage (lint holds it to
      // that), and "storage" would wipe the whole origin's, erasing the Authenticator app's
      // device key at /authenticator when this browser also holds the app.
      "Clear-Site-Data": '"cache"',
      "Cache-Control": "no-store",
    },
  });
  const ended = [
    SESSION_COOKIE_BASENAME,
    TRANSACTION_COOKIE_BASENAME,
    PHONE_TICKET_COOKIE_BASENAME,
  ];
  for (const base of ended) response.cookies.set(cookieName(base), "", cookieOptions(0));
  return response;
}
