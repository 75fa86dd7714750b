import { and, eq, isNotNull, isNull, notExists, or, sql } from "drizzle-orm";
import type { Executor } from "@/lib/db/client";
import { alias } from "drizzle-orm/pg-core";
import { phoneNumberHistory } from "@/lib/db/schema";

// The numbers a person's phone methods have used (docs/decisions/0023). A number that served as a
// method for a week, and that the person then stopped using as one, is a channel an attacker who
// took over the account recently cannot have added: it can prove a recovery, as an alternate
// email verified a week ago can. The database stamps the end of each service (drizzle/0023).

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
 * "Delete" in "Secure your account": the person does not recognise the number, so it may never
 * prove a recovery, whatever its service. Call before the method goes, in the same transaction.
 */
export async function disownNumberOf(
  tx: Executor,
  userId: string,
  methodId: string,
): Promise<void> {
  const [served] = await tx
    .select({ e164: phoneNumberHistory.e164 })
    .from(phoneNumberHistory)
    .where(and(eq(phoneNumberHistory.userId, userId), eq(phoneNumberHistory.methodId, methodId)));
  if (!served) return;
  await tx
    .update(phoneNumberHistory)
    .set({ disownedAt: sql`now()` })
    .where(
      and(
        eq(phoneNumberHistory.userId, userId),
        eq(phoneNumberHistory.e164, served.e164),
        isNull(phoneNumberHistory.disownedAt),
      ),
    );
}

/**
 * The person's former number `e164`, if it served as a method for at least `minServiceMs` in one
 * stretch, is no method of theirs now, and was never disowned; otherwise null.
 */
export async function findFormerNumber(
  db: Executor,
  userId: string,
  e164: string,
  minServiceMs: number,
): Promise<FormerNumber | null> {
  const other = alias(phoneNumberHistory, "other");
  const [row] = await db
    .select({ id: phoneNumberHistory.id, e164: phoneNumberHistory.e164 })
    .from(phoneNumberHistory)
    .where(
      and(
        eq(phoneNumberHistory.userId, userId),
        eq(phoneNumberHistory.e164, e164),
        isNotNull(phoneNumberHistory.retiredAt),
        sql`${phoneNumberHistory.retiredAt} - ${phoneNumberHistory.verifiedAt} >= make_interval(secs => ${minServiceMs / 1000})`,
        // Not while any stretch of it is still going, nor once one was disowned.
        notExists(
          db
            .select({ one: sql`1` })
            .from(other)
            .where(
              and(
                eq(other.userId, userId),
                eq(other.e164, e164),
                or(isNull(other.retiredAt), isNotNull(other.disownedAt)),
              ),
            ),
        ),
      ),
    )
    .orderBy(sql`${phoneNumberHistory.retiredAt} desc`)
    .limit(1);
  return row ?? null;
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
