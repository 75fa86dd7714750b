import { and, eq, lt, sql } from "drizzle-orm";
import { advanceSignInEvent, getTransactionRisk, isRisky } from "@/lib/activity/sign-in-events";
import { writeAudit } from "@/lib/audit/log";
import { clock } from "@/lib/clock";
import type { Db, Executor } from "@/lib/db/client";
import { users } from "@/lib/db/schema";
import { registrationGracePolicy } from "@/lib/settings/policy";
import type { RequestContext } from "@/lib/types/request";
import { POSTPONED_AMR } from "./sign-in";
import {
  advanceSignInTransaction,
  type SignInStage,
  type SignInTransaction,
} from "./sign-in-transaction";

// The registration grace period (docs/decisions/0022): instead of registering a method at once,
// a person the organisation chose may answer "Ask me later" at "More information required" a
// limited number of times, or until a day. That sign-in then ends as it would for an account
// that does not require MFA: the password alone, a session at AAL1, recorded as postponed.

/**
 * The roles that may ever postpone. Helpdesk and admin accounts never may: the console needs
 * their second factor (a passkey when the organisation says so) before it opens, and an account
 * that can reset everyone else's must not live on a password alone (R-A16.1).
 */
export const GRACE_ROLES: readonly string[] = ["user"];

/** What "Ask me later" offers: postponements left (null: no count) and the last day (UTC). */
export type GraceOffer = { left: number | null; until: string | null };

export type GracePolicy = ReturnType<typeof registrationGracePolicy>;

/** Today's date in UTC, as the grace period's end date is written (YYYY-MM-DD). */
export function todayUtc(): string {
  return clock.now().toISOString().slice(0, 10);
}

/**
 * Whether a person may postpone registering now, and what is left: grace must be on (a count or
 * a day), the person eligible by role or chosen on their account, never an agent, and neither
 * the postponements used up nor the last day past.
 */
export function graceFor(
  policy: GracePolicy,
  person: { role: string; registrationGrace: boolean; registrationPostponements: number },
  today: string,
): GraceOffer | null {
  if (policy.postponements === null && policy.until === null) return null;
  if (!GRACE_ROLES.includes(person.role)) return null;
  if (!person.registrationGrace && !policy.roles.includes(person.role)) return null;
  if (policy.until !== null && today > policy.until) return null;
  const left =
    policy.postponements === null ? null : policy.postponements - person.registrationPostponements;
  if (left !== null && left <= 0) return null;
  return { left, until: policy.until };
}

/** Why a sign-in at registration may not be postponed although the person could otherwise. */
export type GraceRefusal = "risky";

/**
 * "Ask me later" for a sign-in waiting at registration: the offer, "risky" when the person could
 * postpone but this sign-in looked risky, or null.
 *
 * Only a sign-in proven by the password alone: a Temporary Access Pass exists to register a
 * method (R-A10.3). A risky sign-in (an unfamiliar country, an anonymising network) registers
 * now: the password may be someone else's, and letting them in on it alone would remove the
 * friction the risk asked for (R-A1.8, R-A14.6) — worse, they could then register their own
 * method on the account.
 */
export async function getRegistrationGrace(
  db: Executor,
  transaction: Pick<SignInTransaction, "id" | "userId" | "purpose" | "stage" | "methods">,
): Promise<GraceOffer | GraceRefusal | null> {
  if (transaction.purpose !== "sign_in" || transaction.stage !== "registration") return null;
  if (transaction.methods.length !== 1 || transaction.methods[0] !== "pwd") return null;
  const [person] = await db
    .select({
      role: users.role,
      status: users.status,
      registrationGrace: users.registrationGrace,
      registrationPostponements: users.registrationPostponements,
    })
    .from(users)
    .where(eq(users.id, transaction.userId));
  if (!person || person.status !== "active") return null;
  const offer = graceFor(registrationGracePolicy(), person, todayUtc());
  if (!offer) return null;
  return isRisky(await getTransactionRisk(db, transaction.id)) ? "risky" : offer;
}

/** Rolls the postponement back when the count was used up by a parallel sign-in. */
class GraceSpent extends Error {}

/**
 * "Ask me later": counts one postponement, moves the sign-in on as if no second factor were
 * required (ready, with the session marked POSTPONED_AMR so the portal opens), marks its sign-in event "registration_postponed" and
 * writes the audit record — in one database transaction. Null when the sign-in may not be
 * postponed (any more): the person then registers. Each sign-in postpones at most once, and the
 * count is checked as it is raised, so parallel sign-ins cannot postpone more than allowed.
 */
export async function postponeRegistration(
  db: Db,
  transaction: SignInTransaction,
  context: RequestContext,
): Promise<{ stage: SignInStage; persistent: boolean } | null> {
  const offer = await getRegistrationGrace(db, transaction);
  if (offer === null || offer === "risky") return null;
  const { postponements, until } = registrationGracePolicy();
  // Never "Stay signed in?": a persistent session would stretch one postponement over weeks.
  // The session lives the usual hours, and the next sign-in asks again.
  const next = { stage: "ready" as const, persistent: false };
  const methods = [...transaction.methods, POSTPONED_AMR];
  try {
    return await db.transaction(async (tx) => {
      const moved = await advanceSignInTransaction(tx, transaction.id, "registration", next.stage, {
        methods,
        persistent: next.persistent,
      });
      if (!moved) return null;
      const [counted] = await tx
        .update(users)
        .set({ registrationPostponements: sql`${users.registrationPostponements} + 1` })
        .where(
          and(
            eq(users.id, transaction.userId),
            postponements === null ? undefined : lt(users.registrationPostponements, postponements),
          ),
        )
        .returning({ used: users.registrationPostponements });
      if (!counted) throw new GraceSpent();
      await advanceSignInEvent(tx, transaction.id, { methods, postponed: true });
      await writeAudit(tx, {
        action: "auth.registration.postponed",
        outcome: "success",
        actorId: transaction.userId,
        subjectId: transaction.userId,
        ip: context.ip,
        userAgent: context.userAgent,
        details: {
          postponements: counted.used,
          left: postponements === null ? null : postponements - counted.used,
          until,
        },
      });
      return next;
    });
  } catch (error) {
    if (error instanceof GraceSpent) return null;
    throw error;
  }
}

const graceDay = new Intl.DateTimeFormat("en-GB", {
  day: "numeric",
  month: "long",
  year: "numeric",
  timeZone: "UTC",
});

/** " 2 more times, until 31 January 2027" — the limits in words ("more" for what is left). */
function limitsInWords(times: number | null, until: string | null, more: string): string {
  const count = times === null ? "" : ` ${times} ${more}${times === 1 ? "time" : "times"}`;
  const day =
    until === null
      ? ""
      : `${count ? "," : ""} until ${graceDay.format(new Date(`${until}T00:00:00Z`))}`;
  return `${count}${day}`;
}

/** "You can postpone this 2 more times, until 31 January 2027." */
export function describeGrace(offer: GraceOffer): string {
  return `You can postpone this${limitsInWords(offer.left, offer.until, "more ")}.`;
}

/** "People may postpone it 2 times, until 31 January 2027." — for the console. */
export function describeGracePolicy(policy: GracePolicy): string {
  return `People may postpone it${limitsInWords(policy.postponements, policy.until, "")}.`;
}
