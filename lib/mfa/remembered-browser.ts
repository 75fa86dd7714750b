import { and, eq, gt, isNull, sql } from "drizzle-orm";
import type { Executor } from "@/lib/db/client";
import { rememberedBrowsers } from "@/lib/db/schema";
import { hashToken, newToken } from "@/lib/security/tokens";

// "Don't ask again for N days": a hashed, revocable token per browser and user.

/** Remembers this browser for the user; returns the token for its cookie. */
export async function rememberBrowser(
  db: Executor,
  userId: string,
  days: number,
  userAgent: string | null,
): Promise<string> {
  const token = newToken();
  await db.insert(rememberedBrowsers).values({
    id: hashToken(token),
    userId,
    userAgent: userAgent?.slice(0, 512) ?? null,
    expiresAt: new Date(Date.now() + days * 24 * 3600_000),
  });
  return token;
}

/** True when the cookie's token remembers this browser for this user and has not ended. */
export async function isBrowserRemembered(
  db: Executor,
  userId: string,
  token: string | undefined,
): Promise<boolean> {
  if (!token || token.length > 100) return false;
  const [row] = await db
    .select({ id: rememberedBrowsers.id })
    .from(rememberedBrowsers)
    .where(
      and(
        eq(rememberedBrowsers.id, hashToken(token)),
        eq(rememberedBrowsers.userId, userId),
        isNull(rememberedBrowsers.revokedAt),
        gt(rememberedBrowsers.expiresAt, sql`now()`),
      ),
    );
  return Boolean(row);
}

/** Forgets every remembered browser of a user (password change, MFA reset, sign out everywhere). */
export async function forgetBrowsers(db: Executor, userId: string): Promise<number> {
  const rows = await db
    .update(rememberedBrowsers)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(rememberedBrowsers.userId, userId), isNull(rememberedBrowsers.revokedAt)))
    .returning({ id: rememberedBrowsers.id });
  return rows.length;
}
