"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { writeAudit } from "@/lib/audit/log";
import { signOutEverywhereElse } from "@/lib/auth/secure-account";
import { revokeOwnSession } from "@/lib/auth/sessions";
import { requireFreshSession } from "@/lib/auth/sign-in-flow";
import { getDb } from "@/lib/db/client";
import {
  forgetBrowsers,
  forgetOwnBrowser,
  recordBrowsersForgotten,
} from "@/lib/mfa/remembered-browser";
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
  const ended = await (
    await getDb()
  ).transaction(async (tx) => {
    if (typeof reference !== "string") return false;
    const revoked = await revokeOwnSession(
      tx,
      session.user.id,
      reference,
      "signed_out_from_devices",
      session.id,
    );
    if (!revoked) return false;
    await writeAudit(tx, {
      action: "auth.session.revoked",
      outcome: "success",
      actorId: session.user.id,
      subjectId: session.user.id,
      ...context,
      details: { from: "devices", browserForgotten: revoked.forgottenBrowser !== null },
    });
    if (revoked.forgottenBrowser) {
      await recordBrowsersForgotten(
        tx,
        session.user,
        revoked.forgottenBrowser,
        context,
        "session_signed_out",
      );
    }
    return revoked;
  });
  show(!ended ? "missing" : ended.forgottenBrowser ? "signed-out-forgotten" : "signed-out");
}

/** "Sign out all other devices": every other session and remembered browser ends now. */
export async function signOutOtherDevicesAction(): Promise<void> {
  const session = await requireFreshSession(HERE);
  const context = await getRequestContext();
  await (
    await getDb()
  ).transaction((tx) => signOutEverywhereElse(tx, session.user, session.id, context));
  show("signed-out-others");
}

/** "Forget" on one remembered browser: it asks for a code at its next sign-in; others stay. */
export async function forgetBrowserAction(formData: FormData): Promise<void> {
  const session = await requireFreshSession(HERE);
  const reference = formData.get("browser");
  const context = await getRequestContext();
  const forgotten = await (
    await getDb()
  ).transaction(async (tx) => {
    if (typeof reference !== "string") return null;
    const browser = await forgetOwnBrowser(tx, session.user.id, reference);
    if (browser) await recordBrowsersForgotten(tx, session.user, browser, context, "devices");
    return browser;
  });
  show(forgotten ? "forgotten" : "browser-missing");
}

/** "Forget all": no browser of the person skips the code any more; sessions carry on. */
export async function forgetAllBrowsersAction(): Promise<void> {
  const session = await requireFreshSession(HERE);
  const context = await getRequestContext();
  await (
    await getDb()
  ).transaction(async (tx) => {
    const all = await forgetBrowsers(tx, session.user.id);
    if (all > 0) await recordBrowsersForgotten(tx, session.user, { all }, context, "devices");
  });
  show("forgotten-all");
}
