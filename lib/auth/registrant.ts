import "server-only";
import { getDb } from "@/lib/db/client";
import { getMethodSummary } from "@/lib/mfa/methods";
import { getCurrentSession } from "./current";
import { getUserIdentity } from "./users";
import { getCurrentTransaction, isFresh } from "./sign-in-flow";
import type { SignInTransaction } from "./sign-in-transaction";
import { clock } from "@/lib/clock";
import { stepUpMaxAgeMs } from "@/lib/settings/policy";

/**
 * Who is registering a method: someone mid-sign-in whom the organisation requires to register
 * (restricted to the wizard, R-A9.2), or a signed-in person with a fresh second factor (R-A9.1).
 */
export type Registrant = {
  user: { id: string; email: string; displayName: string };
  via: "sign-in" | "session";
  transaction?: { token: string; transaction: SignInTransaction };
  /**
   * What this registration belongs to — the sign-in transaction, or the session — so a challenge
   * started in one browser cannot be finished from another (R-A1.6).
   */
  bindingId: string;
};

/** A sign-in (not a step-up) whose second factor passed within the step-up window (R-A9.1). */
function passedJustNow(current: { transaction: SignInTransaction }): boolean {
  const { purpose, secondFactorAt } = current.transaction;
  return (
    purpose === "sign_in" &&
    secondFactorAt !== null &&
    clock.ms() - secondFactorAt.getTime() <= stepUpMaxAgeMs()
  );
}

/**
 * The registrant for this request, or null when nobody may register a method now. A sign-in that
 * has passed every factor but is not yet a session — the wizard's backup step, recovery codes
 * and "Success!" — counts as one with a fresh second factor (R-A9.1, R-A9.7).
 */
export async function getRegistrant(): Promise<Registrant | null> {
  // A sign-in in this browser that is at (or just past) registration comes first: it is also how
  // someone with a session but no method yet (R-A1.5) gets through the wizard after proving their
  // password again.
  const current = await getCurrentTransaction("registration", "stay_signed_in", "ready");
  if (!current || !(current.transaction.stage === "registration" || passedJustNow(current))) {
    const session = await getCurrentSession();
    if (!session) return null;
    return (await isFresh(session))
      ? { user: session.user, via: "session", bindingId: `session:${session.id}` }
      : null;
  }
  const db = await getDb();
  // Registration mid-sign-in is for someone with no method yet (R-A1.5): once one exists — set up
  // from another browser, say, or one that cannot be used now — this sign-in must pass the second
  // factor instead. A Temporary
  // Access Pass sign-in is the exception: it exists to add a method.
  if (
    current.transaction.stage === "registration" &&
    !current.transaction.methods.includes("tap") &&
    (await getMethodSummary(db, current.transaction.userId)).registered.length > 0
  ) {
    return null;
  }
  const user = await getUserIdentity(db, current.transaction.userId);
  return user
    ? {
        user,
        via: "sign-in",
        transaction: current,
        bindingId: `sign-in:${current.transaction.id}`,
      }
    : null;
}
