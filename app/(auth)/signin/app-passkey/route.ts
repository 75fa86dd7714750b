import { redirect } from "next/navigation";
import type { NextRequest } from "next/server";
import { getCurrentSession } from "@/lib/auth/current";
import { startPasskeyStepUp } from "@/lib/auth/sign-in-flow";
import { INTERACTION_PATH } from "@/lib/apps/provider-paths";

/**
 * Where an app's sign-in goes when the app needs a passkey or security key and the session was
 * proven with something else: only that missing proof is asked, then the app's sign-in resumes.
 */
export async function GET(request: NextRequest) {
  const uid = request.nextUrl.searchParams.get("uid") ?? "";
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(uid)) redirect("/signin");
  const back = `${INTERACTION_PATH}/${uid}`;
  const session = await getCurrentSession();
  if (!session) redirect(`/signin?callbackUrl=${encodeURIComponent(back)}`);
  await startPasskeyStepUp(session, back);
}
