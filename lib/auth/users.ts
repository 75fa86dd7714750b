import { and, eq, gt, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { writeAudit } from "@/lib/audit/log";
import type { Db, Executor } from "@/lib/db/client";
import { sessions, users } from "@/lib/db/schema";
import { generatePassword, hashPassword } from "@/lib/security/password";

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

export class DuplicateEmailError extends Error {
  constructor(email: string) {
    super(`An account with the email ${email} already exists.`);
    this.name = "DuplicateEmailError";
  }
}

/** Finds a user by email, ignoring case. */
export function emailMatches(email: string) {
  return eq(sql`lower(${users.email})`, email.trim().toLowerCase());
}

/**
 * Creates an account with a generated password, audited in the same transaction.
 * Returns the password once; it is not stored anywhere but as its hash.
 */
export async function createUser(
  db: Db,
  input: NewUserInput,
  actor: { actorId?: string | null; ip?: string | null } = {},
): Promise<{ id: string; password: string }> {
  const parsed = newUserSchema.parse(input);
  const password = generatePassword();
  const passwordHash = await hashPassword(password);
  const id = await db.transaction(async (tx) => {
    const [existing] = await tx
      .select({ id: users.id })
      .from(users)
      .where(emailMatches(parsed.email));
    if (existing) throw new DuplicateEmailError(parsed.email);
    const [row] = await tx
      .insert(users)
      .values({ ...parsed, passwordHash, passwordChangedAt: new Date() })
      .returning({ id: users.id });
    await writeAudit(tx, {
      action: "user.created",
      outcome: "success",
      actorId: actor.actorId ?? null,
      subjectId: row!.id,
      ip: actor.ip ?? null,
      details: { role: parsed.role },
    });
    return row!.id;
  });
  return { id, password };
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
