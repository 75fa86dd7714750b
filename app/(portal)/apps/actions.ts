"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { removeAppAccess } from "@/lib/apps/app-access";
import { requireFreshSession } from "@/lib/auth/sign-in-flow";
import { getDb } from "@/lib/db/client";
import { getRequestContext } from "@/lib/security/request-context";

// Removing an app's access ends sessions, as "Sign out" on Devices does, so it is guarded the
// same way: the session, a fresh second factor (R-A9.1) and that the app is one the person signed
// in to (R-A9.4, checked in removeAppAccess) — here, not by anything in front.

const HERE = "/apps";

/** Client IDs are generated, far shorter than this; anything longer is not one. */
const CLIENT_ID_MAX_LENGTH = 200;

export type Outcome = "removed" | "missing";

/** "Remove access" on one app: its tokens end, it is told to sign the person out. */
export async function removeAppAccessAction(formData: FormData): Promise<void> {
  const session = await requireFreshSession(HERE);
  const clientId = formData.get("app");
  const removed =
    typeof clientId === "string" &&
    clientId.length <= CLIENT_ID_MAX_LENGTH &&
    (await removeAppAccess(await getDb(), session.user.id, clientId, await getRequestContext()));
  revalidatePath(HERE);
  redirect(
    removed && removed.ok
      ? `${HERE}?outcome=removed&app=${encodeURIComponent(removed.app.clientId)}`
      : `${HERE}?outcome=missing`,
  );
}
