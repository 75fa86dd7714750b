import { and, desc, eq, gt, isNull, ne, sql } from "drizzle-orm";
import type { Executor } from "@/lib/db/client";
import { sessions, signInTransactions, users } from "@/lib/db/schema";
import { forgetBrowserOfSession, type ForgottenBrowser } from "@/lib/mfa/remembered-browser";
import { hashToken, newToken } from "@/lib/security/tokens";
import { sessionLimits } from "@/lib/settings/policy";
import { databaseNowPlus } from "@/lib/db/time";
import { endAppSessions } from "@/lib/apps/app-sessions";

/** What a page or action knows about the signed-in person. */
export type CurrentSession = {
  id: string;
  aal: number;
  methods: string[];
  authenticatedAt: Date;
  secondFactorAt: Date | null;
  persistent: boolean;
  user: {
    id: string;
    email: string;
    displayName: string;
    role: "user" | "helpdesk" | "admin";
    mfaRequired: boolean;
  };
};

/**
 * Whether a session was proven with a passkey (RFC 8176 values). A passkey as the second factor
 * records "hwk"; passwordless, "hwk" or — synced — "swk", with "user" for its user verification.
 * "swk" alone is also what a paired phone's device key records (an approved push, phone sign-in
 * with "pin"), which is neither a passkey nor phishing-resistant, so it never counts by itself.
 */
export function sessionProvenWithPasskey(sessionMethods: string[]): boolean {
  return (
    sessionMethods.includes("hwk") ||
    (sessionMethods.includes("swk") && sessionMethods.includes("user"))
  );
}

export type NewSession = {
  /** A step-up keeps the session's original end: proving a factor again never extends it. */
  absoluteExpiresAt?: Date;
  userId: string;
  aal: number;
  methods: string[];
  authenticatedAt: Date;
  secondFactorAt: Date | null;
  persistent: boolean;
  ip: string | null;
  userAgent: string | null;
  /** The remembered browser ("Don't ask again") it was signed in from, if any. */
  rememberedBrowserId?: string | null;
};

/** Creates a session row and returns the token for the cookie; only its hash is stored. */
export async function createSession(db: Executor, input: NewSession): Promise<string> {
  const token = newToken();
  const { idleMs, absoluteMs } = sessionLimits(input.persistent);
  // The database's clock decides every limit, here as when they are checked and slid.
  const absoluteExpiresAt = input.absoluteExpiresAt ?? databaseNowPlus(absoluteMs);
  await db.insert(sessions).values({
    id: hashToken(token),
    ...input,
    userAgent: input.userAgent?.slice(0, 512) ?? null,
    idleExpiresAt: sql`least(${databaseNowPlus(idleMs)}, ${absoluteExpiresAt})`,
    absoluteExpiresAt,
  });
  return token;
}

// Touching the row on every request would be a write per page view; once a minute is enough,
// or a thirtieth of the idle limit when that is shorter, so a short limit still slides.
const TOUCH_AFTER_MAX_MS = 60_000;

/**
 * Resolves a cookie's token to a live session: not revoked, within idle and absolute limits,
 * its account active. Returns null otherwise. A request that is the person's own (`activity`,
 * the default) slides the idle expiry; a page's poll only reads it (R-A12.5).
 */
export async function resolveSession(
  db: Executor,
  token: string,
  { activity = true }: { activity?: boolean } = {},
): Promise<CurrentSession | null> {
  const id = hashToken(token);
  const [row] = await db
    .select({
      id: sessions.id,
      aal: sessions.aal,
      methods: sessions.methods,
      authenticatedAt: sessions.authenticatedAt,
      secondFactorAt: sessions.secondFactorAt,
      persistent: sessions.persistent,
      secondsSinceSeen: sql<number>`extract(epoch from now() - ${sessions.lastSeenAt})::float8`,
      user: {
        id: users.id,
        email: users.email,
        displayName: users.displayName,
        role: users.role,
        mfaRequired: users.mfaRequired,
      },
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(
      and(
        eq(sessions.id, id),
        isNull(sessions.revokedAt),
        gt(sessions.idleExpiresAt, sql`now()`),
        gt(sessions.absoluteExpiresAt, sql`now()`),
        eq(users.status, "active"),
      ),
    );
  if (!row) return null;
  const { idleMs } = sessionLimits(row.persistent);
  if (activity && row.secondsSinceSeen * 1000 > Math.min(TOUCH_AFTER_MAX_MS, idleMs / 30)) {
    const idleSeconds = idleMs / 1000;
    await db
      .update(sessions)
      .set({
        lastSeenAt: sql`now()`,
        idleExpiresAt: sql`least(now() + make_interval(secs => ${idleSeconds}), ${sessions.absoluteExpiresAt})`,
      })
      .where(eq(sessions.id, id));
  }
  const { secondsSinceSeen: _secondsSinceSeen, ...session } = row;
  return session;
}

/**
 * Revokes one live session by its stored id; returns its original limits and remembered
 * browser (what a step-up's new session keeps), or null if none.
 */
export async function revokeSession(
  db: Executor,
  sessionId: string,
  reason: string,
): Promise<{
  authenticatedAt: Date;
  absoluteExpiresAt: Date;
  rememberedBrowserId: string | null;
} | null> {
  const [revoked] = await db
    .update(sessions)
    .set({ revokedAt: sql`now()`, revokedReason: reason })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)))
    .returning({
      authenticatedAt: sessions.authenticatedAt,
      absoluteExpiresAt: sessions.absoluteExpiresAt,
      rememberedBrowserId: sessions.rememberedBrowserId,
    });
  return revoked ?? null;
}

/**
 * Revokes every live session of a user, optionally keeping one, and ends their sessions at every
 * app (even those signed in from the kept one: an app cannot tell which browser it was). Returns
 * how many portal sessions ended.
 */
export async function revokeUserSessions(
  db: Executor,
  userId: string,
  reason: string,
  keepSessionId?: string,
): Promise<number> {
  const revoked = await db
    .update(sessions)
    .set({ revokedAt: sql`now()`, revokedReason: reason })
    .where(
      and(
        eq(sessions.userId, userId),
        isNull(sessions.revokedAt),
        keepSessionId ? ne(sessions.id, keepSessionId) : undefined,
      ),
    )
    .returning({ id: sessions.id });
  await endAppSessions(db, userId);
  return revoked.length;
}

/** One of a person's live sessions, as the Devices page lists it. Never the stored id. */
export type ActiveSessionView = {
  /** A stable handle for this page's buttons, derived from the id; useless as a token. */
  reference: string;
  current: boolean;
  ip: string | null;
  userAgent: string | null;
  persistent: boolean;
  createdAt: Date;
  lastSeenAt: Date;
};

/** The handle the Devices page uses for a session: a hash of its stored id (itself a hash). */
export function sessionReference(sessionId: string): string {
  return hashToken(`device:${sessionId}`).slice(0, 32);
}

function liveSessionsOf(userId: string) {
  return and(
    eq(sessions.userId, userId),
    isNull(sessions.revokedAt),
    gt(sessions.idleExpiresAt, sql`now()`),
    gt(sessions.absoluteExpiresAt, sql`now()`),
  );
}

/** A person's live sessions, most recently active first; `currentSessionId` is marked (R-A12.7). */
export async function listActiveSessions(
  db: Executor,
  userId: string,
  currentSessionId: string,
): Promise<ActiveSessionView[]> {
  const rows = await db
    .select({
      id: sessions.id,
      ip: sessions.ip,
      userAgent: sessions.userAgent,
      persistent: sessions.persistent,
      createdAt: sessions.createdAt,
      lastSeenAt: sessions.lastSeenAt,
    })
    .from(sessions)
    .where(liveSessionsOf(userId))
    .orderBy(desc(sessions.lastSeenAt), desc(sessions.createdAt));
  return rows.map(({ id, ...row }) => ({
    ...row,
    reference: sessionReference(id),
    current: id === currentSessionId,
  }));
}

/**
 * Revokes one of the person's own live sessions by its reference, and forgets the remembered
 * browser it was signed in from: a session signed out as not wanted must not come back without
 * the second factor. A reference of another person's session, an ended one or the one asking
 * (`exceptSessionId`) changes nothing and is answered alike with false (R-A9.4).
 */
export async function revokeOwnSession(
  db: Executor,
  userId: string,
  reference: string,
  reason: string,
  exceptSessionId: string,
): Promise<false | { forgottenBrowser: ForgottenBrowser | null }> {
  if (!/^[0-9a-f]{32}$/.test(reference)) return false;
  const live = await db.select({ id: sessions.id }).from(sessions).where(liveSessionsOf(userId));
  const target = live.find((s) => sessionReference(s.id) === reference);
  if (!target || target.id === exceptSessionId) return false;
  if ((await revokeSession(db, target.id, reason)) === null) return false;
  return { forgottenBrowser: await forgetBrowserOfSession(db, userId, target.id) };
}

/**
 * Ends every sign-in of a user still in progress, so nobody half-way through (past the password,
 * say) can finish it after the password changed or everything was signed out. Returns how many.
 */
export async function endSignInsInProgress(db: Executor, userId: string): Promise<number> {
  const ended = await db
    .update(signInTransactions)
    .set({ consumedAt: sql`now()` })
    .where(and(eq(signInTransactions.userId, userId), isNull(signInTransactions.consumedAt)))
    .returning({ id: signInTransactions.id });
  return ended.length;
}
