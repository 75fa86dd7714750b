import { and, desc, eq, gt, isNull, sql } from "drizzle-orm";
import { describeBrowser } from "@/lib/activity/device-names";
import { writeAudit } from "@/lib/audit/log";
import type { Executor } from "@/lib/db/client";
import { rememberedBrowsers, sessions, signInTransactions } from "@/lib/db/schema";
import { queueSecurityNotice, type NoticeContext } from "@/lib/notify/security-notice";
import { hashToken, newToken } from "@/lib/security/tokens";
import { databaseNowPlus } from "@/lib/db/time";

// "Don't ask again for N days": a hashed, revocable token per browser and user. The person sees
// each one on Devices and can forget it alone; the sessions it starts carry its id, so signing
// one of them out forgets it too.

/** Remembers this browser for the user; returns the token for its cookie. */
export async function rememberBrowser(
  db: Executor,
  userId: string,
  days: number,
  userAgent: string | null,
  options: {
    /** Where the browser is now, for the list on Devices. */
    ip?: string | null;
    /** The sign-in being finished here: its session will be linked to this browser. */
    transactionId?: string;
  } = {},
): Promise<string> {
  const token = newToken();
  const id = hashToken(token);
  await db.transaction(async (tx) => {
    await tx.insert(rememberedBrowsers).values({
      id,
      userId,
      userAgent: userAgent?.slice(0, 512) ?? null,
      ip: options.ip ?? null,
      expiresAt: databaseNowPlus(days * 24 * 3600_000),
    });
    if (options.transactionId) {
      await tx
        .update(signInTransactions)
        .set({ rememberedBrowserId: id })
        .where(
          and(
            eq(signInTransactions.id, options.transactionId),
            eq(signInTransactions.userId, userId),
            isNull(signInTransactions.consumedAt),
          ),
        );
    }
  });
  return token;
}

function live(userId: string) {
  return and(
    eq(rememberedBrowsers.userId, userId),
    isNull(rememberedBrowsers.revokedAt),
    gt(rememberedBrowsers.expiresAt, sql`now()`),
  );
}

/** The stored id of the browser the cookie's token remembers for this user, while it lasts. */
export async function findRememberedBrowser(
  db: Executor,
  userId: string,
  token: string | undefined,
): Promise<string | null> {
  if (!token || token.length > 100) return null;
  const [row] = await db
    .select({ id: rememberedBrowsers.id })
    .from(rememberedBrowsers)
    .where(and(eq(rememberedBrowsers.id, hashToken(token)), live(userId)));
  return row?.id ?? null;
}

/** True when the cookie's token remembers this browser for this user and has not ended. */
export async function isBrowserRemembered(
  db: Executor,
  userId: string,
  token: string | undefined,
): Promise<boolean> {
  return (await findRememberedBrowser(db, userId, token)) !== null;
}

/**
 * Records that a sign-in skipped the second factor because of this browser. False when it was
 * forgotten (or ended) meanwhile: the sign-in must then not finish.
 */
export async function useRememberedBrowser(
  db: Executor,
  userId: string,
  id: string,
): Promise<boolean> {
  const used = await db
    .update(rememberedBrowsers)
    .set({ lastUsedAt: sql`now()` })
    .where(and(eq(rememberedBrowsers.id, id), live(userId)))
    .returning({ id: rememberedBrowsers.id });
  return used.length === 1;
}

/** Forgets every remembered browser of a user (password event, MFA reset, sign out everywhere). */
export async function forgetBrowsers(db: Executor, userId: string): Promise<number> {
  const rows = await db
    .update(rememberedBrowsers)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(rememberedBrowsers.userId, userId), isNull(rememberedBrowsers.revokedAt)))
    .returning({ id: rememberedBrowsers.id });
  return rows.length;
}

/** One remembered browser as Devices and the helpdesk list it. Never the stored id. */
export type RememberedBrowserView = {
  /** A stable handle for the page's buttons, derived from the id; useless as a token. */
  reference: string;
  userAgent: string | null;
  ip: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date;
  /** The browser of the session asking. */
  current: boolean;
};

/** What a forgotten browser was, for the audit record and the notice. */
export type ForgottenBrowser = Pick<RememberedBrowserView, "reference" | "userAgent" | "ip">;

/** The handle pages use for a remembered browser: a hash of its stored id (itself a hash). */
export function browserReference(id: string): string {
  return hashToken(`remembered:${id}`).slice(0, 32);
}

const viewColumns = {
  id: rememberedBrowsers.id,
  userAgent: rememberedBrowsers.userAgent,
  ip: rememberedBrowsers.ip,
  createdAt: rememberedBrowsers.createdAt,
  lastUsedAt: rememberedBrowsers.lastUsedAt,
  expiresAt: rememberedBrowsers.expiresAt,
};

/**
 * The browsers that skip the second factor for a person now, most recently used first;
 * the one `currentSessionId` was signed in from is marked (R-A12.7).
 */
export async function listRememberedBrowsers(
  db: Executor,
  userId: string,
  currentSessionId: string | null = null,
): Promise<RememberedBrowserView[]> {
  const [rows, [current]] = await Promise.all([
    db
      .select(viewColumns)
      .from(rememberedBrowsers)
      .where(live(userId))
      .orderBy(
        desc(sql`coalesce(${rememberedBrowsers.lastUsedAt}, ${rememberedBrowsers.createdAt})`),
        desc(rememberedBrowsers.createdAt),
      ),
    currentSessionId
      ? db
          .select({ browserId: sessions.rememberedBrowserId })
          .from(sessions)
          .where(and(eq(sessions.id, currentSessionId), eq(sessions.userId, userId)))
      : Promise.resolve([]),
  ]);
  return rows.map(({ id, ...row }) => ({
    ...row,
    reference: browserReference(id),
    current: current?.browserId === id,
  }));
}

async function forgetById(db: Executor, userId: string, id: string) {
  const [row] = await db
    .update(rememberedBrowsers)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(rememberedBrowsers.id, id), live(userId)))
    .returning({
      id: rememberedBrowsers.id,
      userAgent: rememberedBrowsers.userAgent,
      ip: rememberedBrowsers.ip,
    });
  if (!row) return null;
  const { id: forgotten, ...rest } = row;
  return { reference: browserReference(forgotten), ...rest };
}

/**
 * Forgets one of the person's own remembered browsers by its reference; the others stay. A
 * reference of another person's browser, or of one already forgotten, changes nothing and is
 * answered alike with null (R-A9.4).
 */
export async function forgetOwnBrowser(
  db: Executor,
  userId: string,
  reference: string,
): Promise<ForgottenBrowser | null> {
  if (!/^[0-9a-f]{32}$/.test(reference)) return null;
  const rows = await db
    .select({ id: rememberedBrowsers.id })
    .from(rememberedBrowsers)
    .where(live(userId));
  const target = rows.find((row) => browserReference(row.id) === reference);
  return target ? forgetById(db, userId, target.id) : null;
}

/** Forgets the remembered browser a session of this person was signed in from, if any. */
export async function forgetBrowserOfSession(
  db: Executor,
  userId: string,
  sessionId: string,
): Promise<ForgottenBrowser | null> {
  const [row] = await db
    .select({ browserId: sessions.rememberedBrowserId })
    .from(sessions)
    .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId)));
  return row?.browserId ? forgetById(db, userId, row.browserId) : null;
}

type Person = { id: string; email: string; displayName: string };

/** The notice and audit text for a forgotten browser: "Firefox on macOS, London, United Kingdom". */
export async function forgottenBrowserName(browser: ForgottenBrowser): Promise<string> {
  return (await describeBrowser(browser)).name;
}

/**
 * Records, and tells the person, that they forgot browsers of theirs — one, or every one
 * (`{ all: n }`): a security change like any other (R-A9.3, R-A15.1). In the caller's transaction.
 */
export async function recordBrowsersForgotten(
  tx: Executor,
  user: Person,
  forgotten: ForgottenBrowser | { all: number },
  context: NoticeContext,
  from: "devices" | "session_signed_out",
): Promise<void> {
  const name = "reference" in forgotten ? await forgottenBrowserName(forgotten) : null;
  await writeAudit(tx, {
    action: "mfa.remembered_browser.forgotten",
    outcome: "success",
    actorId: user.id,
    subjectId: user.id,
    ip: context.ip,
    userAgent: context.userAgent,
    details:
      "reference" in forgotten
        ? { from, browser: forgotten.reference, device: name }
        : { from, all: true, browsers: forgotten.all },
  });
  await queueSecurityNotice(
    tx,
    user,
    "remembered_browser.forgotten",
    context,
    name ? `The browser: ${name}.` : "Every such browser asks for a code again.",
  );
}
