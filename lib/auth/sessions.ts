import { and, eq, gt, isNull, ne, sql } from "drizzle-orm";
import type { Executor } from "@/lib/db/client";
import { sessions, users } from "@/lib/db/schema";
import { hashToken, newToken } from "@/lib/security/tokens";
import { sessionLimits } from "./policy";

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
};

/** Creates a session row and returns the token for the cookie; only its hash is stored. */
export async function createSession(db: Executor, input: NewSession): Promise<string> {
  const token = newToken();
  const { idleMs, absoluteMs } = sessionLimits(input.persistent);
  const now = Date.now();
  const absoluteExpiresAt = input.absoluteExpiresAt ?? new Date(now + absoluteMs);
  await db.insert(sessions).values({
    id: hashToken(token),
    ...input,
    userAgent: input.userAgent?.slice(0, 512) ?? null,
    idleExpiresAt: new Date(Math.min(now + idleMs, absoluteExpiresAt.getTime())),
    absoluteExpiresAt,
  });
  return token;
}

// Touching the row on every request would be a write per page view; once a minute is enough.
const TOUCH_AFTER_MS = 60_000;

/**
 * Resolves a cookie's token to a live session: not revoked, within idle and absolute limits,
 * its account active. Slides the idle expiry. Returns null otherwise.
 */
export async function resolveSession(db: Executor, token: string): Promise<CurrentSession | null> {
  const id = hashToken(token);
  const [row] = await db
    .select({
      id: sessions.id,
      aal: sessions.aal,
      methods: sessions.methods,
      authenticatedAt: sessions.authenticatedAt,
      secondFactorAt: sessions.secondFactorAt,
      persistent: sessions.persistent,
      lastSeenAt: sessions.lastSeenAt,
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
  if (Date.now() - row.lastSeenAt.getTime() > TOUCH_AFTER_MS) {
    const idleSeconds = sessionLimits(row.persistent).idleMs / 1000;
    await db
      .update(sessions)
      .set({
        lastSeenAt: sql`now()`,
        idleExpiresAt: sql`least(now() + make_interval(secs => ${idleSeconds}), ${sessions.absoluteExpiresAt})`,
      })
      .where(eq(sessions.id, id));
  }
  const { lastSeenAt: _lastSeenAt, ...session } = row;
  return session;
}

/** Revokes one live session by its stored id; returns its original limits, or null if none. */
export async function revokeSession(
  db: Executor,
  sessionId: string,
  reason: string,
): Promise<{ authenticatedAt: Date; absoluteExpiresAt: Date } | null> {
  const [revoked] = await db
    .update(sessions)
    .set({ revokedAt: sql`now()`, revokedReason: reason })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)))
    .returning({
      authenticatedAt: sessions.authenticatedAt,
      absoluteExpiresAt: sessions.absoluteExpiresAt,
    });
  return revoked ?? null;
}

/** Revokes every live session of a user, optionally keeping one. Returns how many. */
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
  return revoked.length;
}
