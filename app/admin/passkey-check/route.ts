import { notFound, redirect } from "next/navigation";
import type { NextRequest } from "next/server";
import { getCurrentSession } from "@/lib/auth/current";
import { startPasskeyStepUp } from "@/lib/auth/sign-in-flow";
import { safeRedirectPath } from "@/lib/security/redirect";

/**
 * Where the console sends an agent whose session has not proven a passkey while the
 * organisation requires one: a step-up that asks for the passkey and comes back.
 */
export async function GET(request: NextRequest) {
  const session = await getCurrentSession();
  const back = safeRedirectPath(request.nextUrl.searchParams.get("callbackUrl"), "/admin");
  if (!session) redirect(`/signin?callbackUrl=${encodeURIComponent(back)}`);
  if (session.user.role === "user") notFound();
  await startPasskeyStepUp(session, back);
}
