"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { writeAudit } from "@/lib/audit/log";
import { signOutEverywhereElse } from "@/lib/auth/secure-account";
import { revokeOwnSession } from "@/lib/auth/sessions";
import { requireFreshSession } from "@/lib/auth/sign-in-flow";
import { getDb } from "@/lib/db/client";
import { getRequestContext } from "@/lib/security/request-context";

// Ending sessions is a security change: each action checks the session, a fresh second factor
// (R-A9.1, R-A12.7) and that the session it ends is the person's own (R-A9.4) — itself.

const HERE = "/devices";

export type Outcome = "signed-out" | "signed-out-others" | "missing";

function show(outcome: Outcome): never {
  revalidatePath(HERE);
  redirect(`${HERE}?outcome=${outcome}`);
}

/** "Sign out" on one of the person's other sessions. */
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
    if (revoked) {
      await writeAudit(tx, {
        action: "auth.session.revoked",
        outcome: "success",
        actorId: session.user.id,
        subjectId: session.user.id,
        ...context,
        details: { from: "devices" },
      });
    }
    return revoked;
  });
  show(ended ? "signed-out" : "missing");
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
