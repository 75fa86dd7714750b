import { and, desc, eq, sql } from "drizzle-orm";
import type { Executor } from "@/lib/db/client";
import { mfaMethods, phoneNumberHistory } from "@/lib/db/schema";

// The numbers a person's phone methods have used (docs/decisions/0023). A number that served as a
// method for a week, and that the person then deleted saying they still have it, is a channel an
// attacker who took over the account recently cannot have added: it can prove a recovery, as an
// alternate email verified a week ago can. A phone deleted any other way — lost, stolen, not
// recognised, changed, removed by the helpdesk or a reset — never can: whoever holds it now may
// not be the person. The database ends each stretch, or forgets the number, on every removal
// (drizzle/0023, 0026).

export type FormerNumber = { id: string; e164: string };

/** Starts a number's service, in the transaction that activates its method. */
export async function recordVerifiedNumber(
  tx: Executor,
  userId: string,
  methodId: string,
  e164: string,
): Promise<void> {
  await tx
    .insert(phoneNumberHistory)
    .values({ userId, methodId, e164, verifiedAt: sql`now()` })
    .onConflictDoNothing({ target: phoneNumberHistory.methodId });
}

/**
 * "I still have this number" on deleting a phone: its number may later prove a recovery. Call
 * before the method goes, in the same transaction.
 */
export async function keepNumberOf(tx: Executor, userId: string, methodId: string): Promise<void> {
  await tx
    .update(phoneNumberHistory)
    .set({ keptAt: sql`now()` })
    .where(and(eq(phoneNumberHistory.userId, userId), eq(phoneNumberHistory.methodId, methodId)));
}

/**
 * The person's former number `e164`, if its latest stretch served at least `minServiceMs`, ended
 * with the person keeping it, and no phone of theirs uses it now; otherwise null.
 */
export async function findFormerNumber(
  db: Executor,
  userId: string,
  e164: string,
  minServiceMs: number,
): Promise<FormerNumber | null> {
  const [latest] = await db
    .select({
      id: phoneNumberHistory.id,
      verifiedAt: phoneNumberHistory.verifiedAt,
      retiredAt: phoneNumberHistory.retiredAt,
      keptAt: phoneNumberHistory.keptAt,
    })
    .from(phoneNumberHistory)
    .where(and(eq(phoneNumberHistory.userId, userId), eq(phoneNumberHistory.e164, e164)))
    .orderBy(desc(phoneNumberHistory.verifiedAt))
    .limit(1);
  if (!latest?.retiredAt || !latest.keptAt) return null;
  if (latest.retiredAt.getTime() - latest.verifiedAt.getTime() < minServiceMs) return null;
  // Any phone of theirs with the number, of whatever kind: they could sign in with it instead.
  const [inUse] = await db
    .select({ id: mfaMethods.id })
    .from(mfaMethods)
    .where(
      and(
        eq(mfaMethods.userId, userId),
        eq(mfaMethods.status, "active"),
        sql`${mfaMethods.data}->>'e164' = ${e164}`,
      ),
    )
    .limit(1);
  return inUse ? null : { id: latest.id, e164 };
}

/**
 * How long a number is kept after it stopped serving: long enough for someone who lost every
 * method to come back, not for ever, as the person gave it up.
 */
export const FORMER_NUMBER_RETENTION_DAYS = 365;

/** Forgets numbers that stopped serving more than FORMER_NUMBER_RETENTION_DAYS ago. */
export async function purgeFormerNumbers(db: Executor): Promise<void> {
  await db
    .delete(phoneNumberHistory)
    .where(
      sql`${phoneNumberHistory.retiredAt} < now() - make_interval(days => ${FORMER_NUMBER_RETENTION_DAYS})`,
    );
}
