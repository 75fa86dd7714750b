import { and, eq, gt, isNull, lt, or, sql } from "drizzle-orm";
import type { Executor } from "@/lib/db/client";
import { signInTransactions } from "@/lib/db/schema";
import { hashToken, newToken } from "@/lib/security/tokens";
import { signInTransactionTtlMs } from "@/lib/settings/policy";
import { databaseNowPlus } from "@/lib/db/time";

export type SignInStage = (typeof signInTransactions.$inferSelect)["stage"];

export type SignInTransaction = {
  id: string;
  userId: string;
  purpose: "sign_in" | "step_up";
  stage: SignInStage;
  replacesSessionId: string | null;
  /** The remembered browser this sign-in happens in; its session is linked to it. */
  rememberedBrowserId: string | null;
  methods: string[];
  secondFactorAt: Date | null;
  persistent: boolean;
  callbackPath: string;
  ip: string | null;
  userAgent: string | null;
  createdAt: Date;
};

const columns = {
  id: signInTransactions.id,
  userId: signInTransactions.userId,
  purpose: signInTransactions.purpose,
  stage: signInTransactions.stage,
  replacesSessionId: signInTransactions.replacesSessionId,
  rememberedBrowserId: signInTransactions.rememberedBrowserId,
  methods: signInTransactions.methods,
  secondFactorAt: signInTransactions.secondFactorAt,
  persistent: signInTransactions.persistent,
  callbackPath: signInTransactions.callbackPath,
  ip: signInTransactions.ip,
  userAgent: signInTransactions.userAgent,
  createdAt: signInTransactions.createdAt,
};

const live = () =>
  and(isNull(signInTransactions.consumedAt), gt(signInTransactions.expiresAt, sql`now()`));

/**
 * Starts a transaction after the first factor; returns the token for its cookie. A way in that
 * carries no cookie (RADIUS) passes a token of its own making.
 */
export async function beginSignInTransaction(
  db: Executor,
  {
    token = newToken(),
    ...input
  }: Pick<
    SignInTransaction,
    "userId" | "purpose" | "stage" | "methods" | "callbackPath" | "ip" | "userAgent"
  > &
    Partial<Pick<SignInTransaction, "persistent" | "replacesSessionId" | "rememberedBrowserId">> & {
      token?: string;
    },
): Promise<string> {
  await db.insert(signInTransactions).values({
    id: hashToken(token),
    ...input,
    userAgent: input.userAgent?.slice(0, 512) ?? null,
    expiresAt: databaseNowPlus(signInTransactionTtlMs()),
  });
  return token;
}

/** The live transaction for a cookie token, or null when unknown, expired or finished. */
export async function getSignInTransaction(
  db: Executor,
  token: string | undefined,
): Promise<SignInTransaction | null> {
  if (!token) return null;
  const [row] = await db
    .select(columns)
    .from(signInTransactions)
    .where(and(eq(signInTransactions.id, hashToken(token)), live()));
  return row ?? null;
}

/** Moves a live transaction from one stage to the next; false when it was not at `from`. */
export async function advanceSignInTransaction(
  db: Executor,
  id: string,
  from: SignInStage,
  to: SignInStage,
  patch: Partial<Pick<SignInTransaction, "methods" | "secondFactorAt" | "persistent">> = {},
): Promise<boolean> {
  const moved = await db
    .update(signInTransactions)
    .set({ stage: to, ...patch })
    .where(and(eq(signInTransactions.id, id), eq(signInTransactions.stage, from), live()))
    .returning({ id: signInTransactions.id });
  return moved.length === 1;
}

/**
 * Gives a sign-in that has just passed its last factor a fresh lifetime. The limit is on a
 * partial sign-in (R-A1.3); a person who has bound and used their first method still has the
 * wizard's backup step and recovery codes ahead, and should not be sent back to the password.
 */
export async function renewSignInTransaction(db: Executor, id: string): Promise<void> {
  await db
    .update(signInTransactions)
    .set({ expiresAt: databaseNowPlus(signInTransactionTtlMs()) })
    .where(and(eq(signInTransactions.id, id), live()));
}

/**
 * Marks a ready transaction consumed and returns it — exactly once, even under parallel
 * requests, so one sign-in can never yield two sessions.
 */
export async function consumeSignInTransaction(
  db: Executor,
  token: string,
): Promise<SignInTransaction | null> {
  const [row] = await db
    .update(signInTransactions)
    .set({ consumedAt: sql`now()` })
    .where(
      and(
        eq(signInTransactions.id, hashToken(token)),
        eq(signInTransactions.stage, "ready"),
        live(),
      ),
    )
    .returning(columns);
  return row ?? null;
}

/** Ends a live transaction without a session (a refused answer); false when it was not live. */
export async function abandonSignInTransaction(db: Executor, id: string): Promise<boolean> {
  const ended = await db
    .update(signInTransactions)
    .set({ consumedAt: sql`now()` })
    .where(and(eq(signInTransactions.id, id), live()))
    .returning({ id: signInTransactions.id });
  return ended.length === 1;
}

/** Deletes transactions that ended more than a day ago. */
export async function purgeSignInTransactions(db: Executor): Promise<void> {
  const dayAgo = sql`now() - interval '1 day'`;
  await db
    .delete(signInTransactions)
    .where(or(lt(signInTransactions.expiresAt, dayAgo), lt(signInTransactions.consumedAt, dayAgo)));
}
