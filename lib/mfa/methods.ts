import { and, asc, eq, lt, sql } from "drizzle-orm";
import type { Executor } from "@/lib/db/client";
import { mfaMethods, recoveryCodes } from "@/lib/db/schema";
import {
  effectiveDefault,
  METHOD_KIND_INFO,
  type MethodKind,
  type MethodView,
  type SignInOptionId,
} from "./registry";

const viewColumns = {
  id: mfaMethods.id,
  kind: sql<MethodKind>`${mfaMethods.kind}`,
  label: mfaMethods.label,
  isDefault: mfaMethods.isDefault,
  createdAt: mfaMethods.createdAt,
  lastUsedAt: mfaMethods.lastUsedAt,
};

/** A user's active methods, oldest first — never a secret. */
export async function listMethods(db: Executor, userId: string): Promise<MethodView[]> {
  return db
    .select(viewColumns)
    .from(mfaMethods)
    .where(and(eq(mfaMethods.userId, userId), eq(mfaMethods.status, "active")))
    .orderBy(asc(mfaMethods.createdAt));
}

/** One of the user's own active methods; a foreign or unknown id is null alike (R-A9.4). */
export async function getOwnMethod(
  db: Executor,
  userId: string,
  methodId: string,
): Promise<MethodView | null> {
  if (!/^[0-9a-f-]{36}$/i.test(methodId)) return null;
  const [row] = await db
    .select(viewColumns)
    .from(mfaMethods)
    .where(
      and(
        eq(mfaMethods.id, methodId),
        eq(mfaMethods.userId, userId),
        eq(mfaMethods.status, "active"),
      ),
    );
  return row ?? null;
}

/** Unused recovery codes left. */
export async function countRecoveryCodes(db: Executor, userId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(recoveryCodes)
    .where(and(eq(recoveryCodes.userId, userId), sql`${recoveryCodes.usedAt} is null`));
  return row?.n ?? 0;
}

/** Everything the sign-in step and Security info need about a user's methods. */
export async function getMethodSummary(db: Executor, userId: string) {
  const [methods, recoveryCodesLeft] = await Promise.all([
    listMethods(db, userId),
    countRecoveryCodes(db, userId),
  ]);
  const options = new Set<SignInOptionId>(
    methods.map((m) => METHOD_KIND_INFO[m.kind].signInOption),
  );
  // Recovery codes are a backup: they only count alongside a real method.
  if (recoveryCodesLeft > 0 && methods.length > 0) options.add("recovery-code");
  const defaultMethod = effectiveDefault(methods);
  return {
    methods,
    recoveryCodesLeft,
    defaultMethod,
    defaultOption: defaultMethod ? METHOD_KIND_INFO[defaultMethod.kind].signInOption : undefined,
    options: [...options],
  };
}

/** Makes one of the user's methods the default, in the caller's transaction. */
export async function setDefaultMethod(
  db: Executor,
  userId: string,
  methodId: string,
): Promise<boolean> {
  const method = await getOwnMethod(db, userId, methodId);
  if (!method) return false;
  await db
    .update(mfaMethods)
    .set({ isDefault: false })
    .where(and(eq(mfaMethods.userId, userId), eq(mfaMethods.isDefault, true)));
  await db.update(mfaMethods).set({ isDefault: true }).where(eq(mfaMethods.id, method.id));
  return true;
}

/** Deletes one of the user's methods; the caller enforces the removal rules (R-A9.5). */
export async function deleteOwnMethod(
  db: Executor,
  userId: string,
  methodId: string,
): Promise<boolean> {
  const deleted = await db
    .delete(mfaMethods)
    .where(and(eq(mfaMethods.id, methodId), eq(mfaMethods.userId, userId)))
    .returning({ id: mfaMethods.id });
  return deleted.length === 1;
}

/** Removes enrolments that were started but never confirmed. */
export async function purgeAbandonedEnrolments(db: Executor): Promise<void> {
  await db
    .delete(mfaMethods)
    .where(and(eq(mfaMethods.status, "pending"), lt(mfaMethods.expiresAt, sql`now()`)));
}
