"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { forgetAllBrowsers, forgetBrowser, signOutDevice } from "@/lib/auth/devices";
import { signOutEverywhereElse } from "@/lib/auth/secure-account";
import { requireFreshSession } from "@/lib/auth/sign-in-flow";
import { getDb } from "@/lib/db/client";
import { getRequestContext } from "@/lib/security/request-context";

// Ending sessions and forgetting browsers are security changes: each action checks the session,
// a fresh second factor (R-A9.1, R-A12.7) and that what it ends is the person's own (R-A9.4) —
// itself.

const HERE = "/devices";

export type Outcome =
  | "signed-out"
  | "signed-out-forgotten"
  | "signed-out-others"
  | "missing"
  | "forgotten"
  | "forgotten-all"
  | "browser-missing";

function show(outcome: Outcome): never {
  revalidatePath(HERE);
  redirect(`${HERE}?outcome=${outcome}`);
}

/** "Sign out" on one of the person's other sessions; its remembered browser is forgotten too. */
export async function signOutDeviceAction(formData: FormData): Promise<void> {
  const session = await requireFreshSession(HERE);
  const reference = formData.get("session");
  const context = await getRequestContext();
  const ended =
    typeof reference === "string" &&
    (await signOutDevice(await getDb(), session.user, reference, session.id, context));
  show(!ended ? "missing" : ended.forgottenBrowser ? "signed-out-forgotten" : "signed-out");
}

/** "Sign out all other devices": every other session and remembered browser ends now. */
export async function signOutOtherDevicesAction(): Promise<void> {
  const session = await requireFreshSession(HERE);
  const context = await getRequestContext();
  await signOutEverywhereElse(await getDb(), session.user, session.id, context);
  show("signed-out-others");
}

/** "Forget" on one remembered browser: it asks for a code at its next sign-in; others stay. */
export async function forgetBrowserAction(formData: FormData): Promise<void> {
  const session = await requireFreshSession(HERE);
  const reference = formData.get("browser");
  const context = await getRequestContext();
  const forgotten =
    typeof reference === "string" &&
    (await forgetBrowser(await getDb(), session.user, reference, context));
  show(forgotten ? "forgotten" : "browser-missing");
}

/** "Forget all": no browser of the person skips the code any more; sessions carry on. */
export async function forgetAllBrowsersAction(): Promise<void> {
  const session = await requireFreshSession(HERE);
  await forgetAllBrowsers(await getDb(), session.user, await getRequestContext());
  show("forgotten-all");
}
