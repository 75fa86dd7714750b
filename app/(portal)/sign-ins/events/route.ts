import { NextResponse, type NextRequest } from "next/server";
import { listSignInEvents } from "@/lib/activity/sign-in-events";
import { getCurrentSession } from "@/lib/auth/current";
import { mustRegisterBeforePortal } from "@/lib/auth/sign-in";
import { mfaRequiredFor } from "@/lib/settings/policy";
import { getDb } from "@/lib/db/client";
import { getMethodSummary } from "@/lib/mfa/methods";
import {
  parseCursorParam,
  parseFilter,
  SIGN_INS_PER_PAGE,
  toView,
  type SignInPageView,
} from "../view";

const NO_STORE = { "Cache-Control": "no-store" };

/** One page of the signed-in person's own sign-ins, for the list's refresh (R-A14.2). */
export async function GET(request: NextRequest) {
  const session = await getCurrentSession();
  const db = await getDb();
  // The same rule as the portal's pages: a person who must have a method and has none sees
  // nothing until they set one up (R-A1.5).
  if (
    !session ||
    mustRegisterBeforePortal(
      session,
      mfaRequiredFor(session.user),
      (await getMethodSummary(db, session.user.id)).registered.length,
    )
  ) {
    return NextResponse.json({ error: "Sign in again." }, { status: 401, headers: NO_STORE });
  }
  const params = request.nextUrl.searchParams;
  const page = await listSignInEvents(db, session.user.id, {
    filter: parseFilter(params.get("show")),
    cursor: parseCursorParam(params.get("cursor")),
    limit: SIGN_INS_PER_PAGE,
  });
  const body: SignInPageView = { items: page.items.map(toView), nextCursor: page.nextCursor };
  return NextResponse.json(body, { headers: NO_STORE });
}
