import { writeAudit } from "@/lib/audit/log";
import type { Db } from "@/lib/db/client";
import {
  forgetBrowsers,
  forgetOwnBrowser,
  recordBrowsersForgotten,
  type ForgottenBrowser,
} from "@/lib/mfa/remembered-browser";
import type { RequestContext } from "@/lib/types/request";
import { revokeOwnSession, revokeSession } from "./sessions";

// What a person ends from Devices, and sign-out itself: each change with its audit record and, for
// a forgotten browser, the notice, in one transaction. The caller checks the session and its
// step-up freshness (R-A9.1, R-A12.7).

type Person = { id: string; email: string; displayName: string };

/** Sign-out: the session row is revoked, so a copied cookie is dead too (R-A12.10). */
export async function signOut(
  db: Db,
  session: { id: string; userId: string },
  context: RequestContext,
): Promise<void> {
  await db.transaction(async (tx) => {
    await revokeSession(tx, session.id, "signed_out");
    await writeAudit(tx, {
      action: "auth.sign_out",
      outcome: "success",
      actorId: session.userId,
      subjectId: session.userId,
      ...context,
    });
  });
}

/**
 * "Sign out" on one of the person's other sessions; the browser it was remembered in is forgotten
 * too. False when the reference is not one of their other live sessions (R-A9.4).
 */
export async function signOutDevice(
  db: Db,
  user: Person,
  reference: string,
  currentSessionId: string,
  context: RequestContext,
): Promise<false | { forgottenBrowser: ForgottenBrowser | null }> {
  return db.transaction(async (tx) => {
    const revoked = await revokeOwnSession(
      tx,
      user.id,
      reference,
      "signed_out_from_devices",
      currentSessionId,
    );
    if (!revoked) return false;
    await writeAudit(tx, {
      action: "auth.session.revoked",
      outcome: "success",
      actorId: user.id,
      subjectId: user.id,
      ...context,
      details: { from: "devices", browserForgotten: revoked.forgottenBrowser !== null },
    });
    if (revoked.forgottenBrowser) {
      await recordBrowsersForgotten(
        tx,
        user,
        revoked.forgottenBrowser,
        context,
        "session_signed_out",
      );
    }
    return revoked;
  });
}

/** "Forget" on one remembered browser; null when it is not one of the person's (R-A9.4). */
export async function forgetBrowser(
  db: Db,
  user: Person,
  reference: string,
  context: RequestContext,
): Promise<ForgottenBrowser | null> {
  return db.transaction(async (tx) => {
    const browser = await forgetOwnBrowser(tx, user.id, reference);
    if (browser) await recordBrowsersForgotten(tx, user, browser, context, "devices");
    return browser;
  });
}

/** "Forget all": no browser of the person skips the code any more; sessions carry on. */
export async function forgetAllBrowsers(
  db: Db,
  user: Person,
  context: RequestContext,
): Promise<void> {
  await db.transaction(async (tx) => {
    const all = await forgetBrowsers(tx, user.id);
    if (all > 0) await recordBrowsersForgotten(tx, user, { all }, context, "devices");
  });
}
