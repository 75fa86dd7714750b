import { and, eq, gte, inArray, sql } from "drizzle-orm";
import { writeAudit } from "@/lib/audit/log";
import type { AuditAction } from "@/lib/audit/events";
import type { Db, Executor } from "@/lib/db/client";
import { auditLog } from "@/lib/db/schema";
import { forgetBrowsers } from "@/lib/mfa/remembered-browser";
import { queueSecurityNotice } from "@/lib/notify/security-notice";
import { caseReference } from "@/lib/cases/report";
import { getPasswordStatus } from "./password-change";
import { endSignInsInProgress, revokeUserSessions } from "./sessions";
import type { RequestContext } from "@/lib/types/request";
import { clock } from "@/lib/clock";

// "Secure your account" (R-A13): the steps after the password change, and what the summary says.

type Person = { id: string; email: string; displayName: string };

/** Methods added this recently are marked on "Review your security info" and removable at once. */
export const RECENTLY_ADDED_DAYS = 7;

/** True when a method was added within RECENTLY_ADDED_DAYS of `now`. */
export function isRecentlyAdded(createdAt: Date, now = clock.now()): boolean {
  return now.getTime() - createdAt.getTime() <= RECENTLY_ADDED_DAYS * 24 * 3600_000;
}

/**
 * Signs the person out everywhere but `keepSessionId` (R-A12.7): other sessions, every
 * remembered browser and every sign-in in progress end; audited and told to the person, all in
 * one transaction. Running it again changes nothing more (R-A13.3). Returns how many
 * sessions ended.
 */
export async function signOutEverywhereElse(
  db: Executor,
  user: Person,
  keepSessionId: string,
  context: RequestContext,
): Promise<number> {
  // Alone this is a transaction; inside a caller's, a savepoint (docs/architecture.md).
  return db.transaction(async (tx) => {
    const sessions = await revokeUserSessions(tx, user.id, "signed_out_everywhere", keepSessionId);
    await forgetBrowsers(tx, user.id);
    await endSignInsInProgress(tx, user.id);
    await writeAudit(tx, {
      action: "auth.sessions.revoked_all",
      outcome: "success",
      actorId: user.id,
      subjectId: user.id,
      ...context,
      details: { sessions },
    });
    await queueSecurityNotice(tx, user, "sessions.signed_out_everywhere", context);
    return sessions;
  });
}

export type SecureAccountProgress = {
  /** The password was changed in this very session (it is what started the session). */
  passwordChanged: boolean;
  passwordChangedAt: Date | null;
  sessionsEnded: number;
  methodsRemoved: number;
  recoveryCodesRegenerated: boolean;
  /** The helpdesk case sent from the flow, by its reference. */
  caseReferences: string[];
  secured: boolean;
};

const FLOW_ACTIONS: AuditAction[] = [
  "auth.password.changed",
  "auth.sessions.revoked_all",
  "mfa.method.removed",
  "mfa.recovery_codes.regenerated",
  "case.created",
  "auth.account.secured",
];

/**
 * What the person has done since this session began — the flow's progress, kept server-side
 * (the users row and the audit log) rather than in the URL. Changing the password gives the
 * browser a new session that begins at the very instant of the change (one transaction, one
 * `now()`), and a later step-up keeps that time: so "this session began with a new password" is
 * `passwordChangedAt = authenticatedAt`.
 */
export async function getSecureAccountProgress(
  db: Executor,
  userId: string,
  sessionAuthenticatedAt: Date,
): Promise<SecureAccountProgress> {
  const [status, records] = await Promise.all([
    getPasswordStatus(db, userId),
    db
      .select({ action: auditLog.action, details: auditLog.details })
      .from(auditLog)
      .where(
        and(
          eq(auditLog.subjectId, userId),
          eq(auditLog.actorId, userId),
          eq(auditLog.outcome, "success"),
          inArray(auditLog.action, FLOW_ACTIONS),
          gte(auditLog.at, sessionAuthenticatedAt),
        ),
      ),
  ]);
  const of = (action: AuditAction) => records.filter((r) => r.action === action);
  const passwordChanged =
    status.passwordChangedAt !== null &&
    status.passwordChangedAt.getTime() === sessionAuthenticatedAt.getTime();
  return {
    passwordChanged,
    passwordChangedAt: status.passwordChangedAt,
    // The password change records the sessions it ended, this browser's old one included.
    sessionsEnded: of("auth.sessions.revoked_all").reduce(
      (n, r) => n + Number(r.details?.sessions ?? 0),
      0,
    ),
    methodsRemoved: of("mfa.method.removed").length,
    recoveryCodesRegenerated: of("mfa.recovery_codes.regenerated").length > 0,
    caseReferences: of("case.created")
      .map((r) => r.details?.caseId)
      .filter((id): id is string => typeof id === "string")
      .map(caseReference),
    secured: of("auth.account.secured").length > 0,
  };
}

/**
 * The last step: records that the person secured their account and tells them, once per
 * session however often it is asked (R-A13.3).
 */
export async function finishSecuringAccount(
  db: Db,
  user: Person,
  sessionAuthenticatedAt: Date,
  context: RequestContext,
): Promise<void> {
  await db.transaction(async (tx) => {
    // One at a time per person, so two parallel requests cannot both send the email.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`secured:${user.id}`}))`);
    const progress = await getSecureAccountProgress(tx, user.id, sessionAuthenticatedAt);
    if (progress.secured || !progress.passwordChanged) return;
    await writeAudit(tx, {
      action: "auth.account.secured",
      outcome: "success",
      actorId: user.id,
      subjectId: user.id,
      ...context,
      details: {
        sessions: progress.sessionsEnded,
        methodsRemoved: progress.methodsRemoved,
        reported: progress.caseReferences.length > 0,
      },
    });
    await queueSecurityNotice(tx, user, "account.secured", context);
  });
}
