import { and, eq, gt, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { writeAudit } from "@/lib/audit/log";
import type { Db, Executor } from "@/lib/db/client";
import { sessions, users } from "@/lib/db/schema";
import { generatePassword, hashPassword } from "@/lib/security/password";
import type { Result } from "@/lib/types/result";
import { clock } from "@/lib/clock";

export const ROLES = ["user", "helpdesk", "admin"] as const;
export type Role = (typeof ROLES)[number];

export const newUserSchema = z.object({
  email: z
    .email("Enter a valid email address")
    .max(254)
    .transform((v) => v.trim()),
  displayName: z.string().trim().min(1, "Enter a name").max(100),
  role: z.enum(ROLES),
  mfaRequired: z.boolean().default(true),
});
export type NewUserInput = z.input<typeof newUserSchema>;

/** Finds a user by email, ignoring case. */
export function emailMatches(email: string) {
  return eq(sql`lower(${users.email})`, email.trim().toLowerCase());
}

export type CreatedUser = Result<{ id: string; password: string }, "email_taken">;

/**
 * Creates an account with a generated password, audited in the same transaction. Returns the
 * password once; it is not stored anywhere but as its hash. `mustChangePassword` when someone
 * other than the person will have seen it.
 */
export async function createUser(
  db: Db,
  input: NewUserInput,
  actor: { actorId?: string | null; ip?: string | null } = {},
  { mustChangePassword = false }: { mustChangePassword?: boolean } = {},
): Promise<CreatedUser> {
  const parsed = newUserSchema.parse(input);
  const password = generatePassword();
  const passwordHash = await hashPassword(password);
  return db.transaction(async (tx): Promise<CreatedUser> => {
    const [existing] = await tx
      .select({ id: users.id })
      .from(users)
      .where(emailMatches(parsed.email));
    if (existing) return { ok: false, reason: "email_taken" };
    const [row] = await tx
      .insert(users)
      .values({ ...parsed, passwordHash, passwordChangedAt: clock.now(), mustChangePassword })
      .returning({ id: users.id });
    await writeAudit(tx, {
      action: "user.created",
      outcome: "success",
      actorId: actor.actorId ?? null,
      subjectId: row!.id,
      ip: actor.ip ?? null,
      details: { role: parsed.role },
    });
    return { ok: true, id: row!.id, password };
  });
}

/** Number of accounts, to tell an empty database from one in use. */
export async function countUsers(db: Executor): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(users);
  return row?.n ?? 0;
}

export type AccountOverview = {
  passwordChangedAt: Date | null;
  mfaRequired: boolean;
  activeSessions: number;
};

/** What the Overview page tells a person about their own account. */
export async function getAccountOverview(db: Executor, userId: string): Promise<AccountOverview> {
  const [[account], [live]] = await Promise.all([
    db
      .select({ passwordChangedAt: users.passwordChangedAt, mfaRequired: users.mfaRequired })
      .from(users)
      .where(eq(users.id, userId)),
    db
      .select({ count: sql<number>`count(*)::int` })
      .from(sessions)
      .where(
        and(
          eq(sessions.userId, userId),
          isNull(sessions.revokedAt),
          gt(sessions.idleExpiresAt, sql`now()`),
          gt(sessions.absoluteExpiresAt, sql`now()`),
        ),
      ),
  ]);
  return {
    passwordChangedAt: account?.passwordChangedAt ?? null,
    mfaRequired: account?.mfaRequired ?? true,
    activeSessions: live?.count ?? 0,
  };
}

export type UserIdentity = { id: string; email: string; displayName: string };

/** Who a user is, for messages and audit: never a secret. */
export async function getUserIdentity(db: Executor, userId: string): Promise<UserIdentity | null> {
  const [row] = await db
    .select({ id: users.id, email: users.email, displayName: users.displayName })
    .from(users)
    .where(eq(users.id, userId));
  return row ?? null;
}
