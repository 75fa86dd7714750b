"use server";

import { redirect } from "next/navigation";
import { allowApp } from "@/lib/apps/consent";
import { INTERACTION_PATH } from "@/lib/apps/provider-paths";
import { mayUseApp, pendingRequest } from "@/lib/apps/registry";
import { requireSession } from "@/lib/auth/current";
import { getDb } from "@/lib/db/client";
import { getRequestContext } from "@/lib/security/request-context";

// The answer to an app's consent page. Checked here, not trusted from the page: the session, a
// pending request for an enabled app that asks for consent, and that the person may use it.
// Whatever the answer, the person goes back to the sign-in bridge, which answers the app.

/** "Allow" or "Don't allow" on the consent page. */
export async function answerConsentAction(formData: FormData): Promise<void> {
  const session = await requireSession();
  const uid = String(formData.get("uid") ?? "");
  const db = await getDb();
  const request = await pendingRequest(db, uid);
  if (!request) redirect("/signin");
  const back = `${INTERACTION_PATH}/${uid}`;
  const { app, scopes } = request;
  const mayAnswer =
    !app.disabledAt && app.askConsent && session.aal >= 2 && mayUseApp(app, session.user.role);
  if (!mayAnswer) redirect(back);
  if (formData.get("answer") !== "allow") redirect(`${back}/abort?declined=1`);
  await allowApp(db, app, session.user.id, scopes, await getRequestContext());
  redirect(back);
}
