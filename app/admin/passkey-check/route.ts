import { notFound, redirect } from "next/navigation";
import type { NextRequest } from "next/server";
import { getCurrentSession } from "@/lib/auth/current";
import { beginStepUp } from "@/lib/auth/step-up";
import { setTransactionCookie } from "@/lib/auth/transaction-cookie";
import { getDb } from "@/lib/db/client";
import { getRequestContext } from "@/lib/security/request-context";
import { safeRedirectPath } from "@/lib/security/redirect";

/**
 * Where the console sends an agent whose session has not proven a passkey while the
 * organisation requires one: a step-up that asks for the passkey and comes back. Only a route
 * handler may set the step-up's cookie; nothing is sent to anyone.
 */
export async function GET(request: NextRequest) {
  const session = await getCurrentSession();
  const back = safeRedirectPath(request.nextUrl.searchParams.get("callbackUrl"), "/admin");
  if (!session) redirect(`/signin?callbackUrl=${encodeURIComponent(back)}`);
  if (session.user.role === "user") notFound();
  const token = await beginStepUp(await getDb(), session, back, await getRequestContext());
  await setTransactionCookie(token);
  redirect("/signin/verify?option=passkey");
}
