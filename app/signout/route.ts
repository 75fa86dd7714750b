import { NextResponse } from "next/server";
import { writeAudit } from "@/lib/audit/log";
import {
  cookieSecurity,
  sessionCookieName,
  TRANSACTION_COOKIE_BASENAME,
} from "@/lib/auth/cookie-security";
import { getCurrentSession } from "@/lib/auth/current";
import { revokeSession } from "@/lib/auth/sessions";
import { getDb } from "@/lib/db/client";
import { getRequestContext } from "@/lib/security/request-context";

/**
 * Sign out: the session row is revoked (so a copied cookie is dead too), the cookie cleared and
 * the browser told to drop its cache and storage (R-A12.10). POST only; server.ts checks origin.
 */
export async function POST() {
  const session = await getCurrentSession();
  if (session) {
    const db = await getDb();
    const context = await getRequestContext();
    await db.transaction(async (tx) => {
      await revokeSession(tx, session.id, "signed_out");
      await writeAudit(tx, {
        action: "auth.sign_out",
        outcome: "success",
        actorId: session.user.id,
        subjectId: session.user.id,
        ...context,
      });
    });
  }
  // A relative Location keeps the redirect independent of the Host header (R-A17.8).
  const response = new NextResponse(null, {
    status: 303,
    headers: {
      Location: "/signin?notice=signed-out",
      // Not "cookies": that would also wipe this browser's "Don't ask again" and "Stay signed
      // in?" answers, which belong to the browser, not the session (docs/decisions/0003). The
      // session and sign-in cookies are expired one by one below.
      "Clear-Site-Data": '"cache", "storage"',
      "Cache-Control": "no-store",
    },
  });
  const { secure, prefix } = cookieSecurity();
  for (const name of [sessionCookieName(), `${prefix}${TRANSACTION_COOKIE_BASENAME}`]) {
    response.cookies.set(name, "", {
      path: "/",
      maxAge: 0,
      secure,
      httpOnly: true,
      sameSite: "lax",
    });
  }
  return response;
}
