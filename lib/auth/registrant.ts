import "server-only";
import { getDb } from "@/lib/db/client";
import { getCurrentSession } from "./current";
import { getUserIdentity } from "./users";
import { getCurrentTransaction, isFresh } from "./sign-in-flow";
import type { SignInTransaction } from "./sign-in-transaction";

/**
 * Who is registering a method: someone mid-sign-in whom the organisation requires to register
 * (restricted to the wizard, R-A9.2), or a signed-in person with a fresh second factor (R-A9.1).
 */
export type Registrant = {
  user: { id: string; email: string; displayName: string };
  via: "sign-in" | "session";
  transaction?: { token: string; transaction: SignInTransaction };
};

/**
 * The registrant for this request, or null when nobody may register a method now. With
 * `justRegistered`, also someone whose sign-in has just passed registration (the success page).
 */
export async function getRegistrant(
  options: { justRegistered?: boolean } = {},
): Promise<Registrant | null> {
  // A sign-in in this browser that is at (or just past) registration comes first: it is also how
  // someone with a session but no method yet (R-A1.5) gets through the wizard after proving their
  // password again.
  const current =
    (await getCurrentTransaction("registration")) ??
    (options.justRegistered ? await getCurrentTransaction("stay_signed_in", "ready") : null);
  if (
    !current ||
    (current.transaction.stage !== "registration" && current.transaction.secondFactorAt === null)
  ) {
    const session = await getCurrentSession();
    if (!session) return null;
    return (await isFresh(session)) ? { user: session.user, via: "session" } : null;
  }
  const user = await getUserIdentity(await getDb(), current.transaction.userId);
  // Past the registration stage only the success page remains (the method is bound and used).
  return user ? { user, via: "sign-in", transaction: current } : null;
}
