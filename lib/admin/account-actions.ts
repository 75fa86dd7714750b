import { and, eq, inArray, like, ne, or, sql } from "drizzle-orm";
import { generatePassword, hashPassword } from "@/lib/security/password";
import { replacePassword } from "@/lib/auth/password-change";
import { getDirectoryConfig } from "@/lib/directory/config";
import { directoryRefusalMessage, setDirectoryPassword } from "@/lib/directory/password";
import { endSignInsInProgress, revokeUserSessions } from "@/lib/auth/sessions";
import type { Role } from "@/lib/auth/users";
import type { Db, Executor } from "@/lib/db/client";
import { authThrottles, hardwareTokens, mfaMethods, users } from "@/lib/db/schema";
import { getMethodSummary, getOwnMethod, setDefaultMethod } from "@/lib/mfa/methods";
import { removeEveryMethod } from "@/lib/mfa/reset-methods";
import { kindAllowedFor, limitFor, METHOD_KIND_INFO, methodName } from "@/lib/mfa/registry";
import {
  forgetBrowsers,
  forgetOwnBrowser,
  forgottenBrowserName,
} from "@/lib/mfa/remembered-browser";
import type { NoticeEvent } from "@/lib/notify/security-notice";
import {
  agentMayActOn,
  recordAgentActionWith,
  type Agent,
  type AgentAction,
  type AgentReasonInput,
} from "./agent-rules";
import { issueAccessPass } from "./access-pass";
import { confirmEnrolment } from "@/lib/auth/enrolment";
import { activateHardwareToken } from "@/lib/mfa/hardware-token";
import {
  assignToken,
  getTokenHolder,
  getTokenHolders,
  importTokens,
  type TokenImportResult,
} from "./hardware-tokens";
import { isUserId } from "./users";
import { GRACE_ROLES } from "@/lib/auth/registration-grace";
import {
  CALLER_NOT_VERIFIED_MESSAGE,
  citeVerifiedCaller,
  getVerifiedCaller,
} from "./caller-verification";
import { callerVerificationRequired } from "@/lib/settings/policy";
import type { RequestContext } from "@/lib/types/request";
import type { Result } from "@/lib/types/result";

// What an agent can do to an account from its page (issue #6, items 3 and 9). Each runs in one
// transaction with its audit record and the notice to the person: the subject's row is locked
// first, the agent's right to act is judged on the row as it is then (R-A10.4), and a refusal
// is itself recorded (R-A16.4).

export type Subject = {
  id: string;
  email: string;
  displayName: string;
  role: Role;
  status: "active" | "disabled";
  disabledBy: "directory" | "console" | null;
  source: "local" | "directory";
  directoryId: string | null;
};

export type AgentActionResult<T = undefined> = Result<
  { value: T },
  "missing" | "refused",
  { message: string }
>;

type Performed<T> = {
  value: T;
  details?: Record<string, string | number | boolean | null>;
  notice?: NoticeEvent;
  noticeDetail?: string;
};

/** Thrown inside an action to roll it back and refuse with a reason the agent can read. */
class Refusal extends Error {}

const MISSING = "That account does not exist.";

/**
 * The actions that hand an account to whoever is on the phone: with the organisation's
 * "Require caller verification" on, each needs the agent's own check of the caller first
 * (R-A10.4).
 */
export const CALLER_CHECKED_ACTIONS: readonly AgentAction[] = [
  "reset_password",
  "issue_pass",
  "require_reregister",
];

async function lockSubject(tx: Executor, subjectId: string): Promise<Subject | null> {
  const [row] = await tx
    .select({
      id: users.id,
      email: users.email,
      displayName: users.displayName,
      role: users.role,
      status: users.status,
      disabledBy: users.disabledBy,
      source: users.source,
      directoryId: users.directoryId,
    })
    .from(users)
    .where(eq(users.id, subjectId))
    .for("update");
  return row ?? null;
}

/**
 * Runs one agent action on one account: lock, judge, act, audit and notify — all in one
 * transaction, so a failure anywhere leaves nothing half done.
 */
async function actOn<T>(
  db: Db,
  agent: Agent,
  subjectId: string,
  action: AgentAction,
  why: AgentReasonInput,
  context: RequestContext,
  perform: (tx: Executor, subject: Subject) => Promise<Performed<T>>,
): Promise<AgentActionResult<T>> {
  if (!isUserId(subjectId)) return { ok: false, reason: "missing", message: MISSING };
  const record = (subject: Subject) => ({
    agent,
    subject,
    action,
    reason: why.reason,
    ticket: why.ticket ?? null,
  });
  try {
    return await db.transaction(async (tx) => {
      // Changes that can take away an administrator queue behind one another before any row is
      // locked: two administrators demoting each other at once would otherwise each hold one
      // row and wait for the other's — a deadlock on PostgreSQL.
      if (action === "change_role" || action === "disable") {
        await tx.execute(sql`select pg_advisory_xact_lock(hashtext('factor:administrators'))`);
      }
      const subject = await lockSubject(tx, subjectId);
      if (!subject) return { ok: false as const, reason: "missing" as const, message: MISSING };
      const permission = agentMayActOn(agent, subject, action);
      if (!permission.ok) {
        await recordAgentActionWith(tx, { ...record(subject), outcome: "denied" }, context);
        return { ok: false as const, reason: "refused" as const, message: permission.message };
      }
      // Read before the action: an MFA reset removes the phone the check was made with.
      const caller = await getVerifiedCaller(tx, agent.id, subject.id);
      if (!caller && CALLER_CHECKED_ACTIONS.includes(action) && callerVerificationRequired()) {
        await recordAgentActionWith(
          tx,
          { ...record(subject), outcome: "denied", details: { refused: "caller_not_verified" } },
          context,
        );
        return {
          ok: false as const,
          reason: "refused" as const,
          message: CALLER_NOT_VERIFIED_MESSAGE,
        };
      }
      const done = await perform(tx, subject);
      await recordAgentActionWith(
        tx,
        {
          ...record(subject),
          outcome: "success",
          details: { ...done.details, ...citeVerifiedCaller(caller) },
          notice: done.notice,
          noticeDetail: done.noticeDetail,
        },
        context,
      );
      return { ok: true as const, value: done.value };
    });
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    // The change rolled back; the refusal is recorded on its own.
    const subject = await lockSubject(db, subjectId);
    if (subject) {
      await recordAgentActionWith(
        db,
        { ...record(subject), outcome: "denied", details: { refused: error.message } },
        context,
      );
    }
    return { ok: false, reason: "refused", message: error.message };
  }
}

/**
 * The last active administrator can be neither demoted nor disabled (issue #6, item 9). Every
 * active administrator's row is locked first, so two administrators demoting each other at the
 * same moment are serialised and the second sees the first's change.
 */
async function ensureAnotherAdmin(tx: Executor, subjectId: string): Promise<void> {
  const admins = await tx
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.role, "admin"), eq(users.status, "active")))
    .for("update");
  if (!admins.some((a) => a.id !== subjectId)) {
    throw new Refusal(
      "This is the last active administrator: make someone else an administrator first.",
    );
  }
}

async function endEverySession(tx: Executor, userId: string, reason: string): Promise<number> {
  const sessions = await revokeUserSessions(tx, userId, reason);
  await endSignInsInProgress(tx, userId);
  return sessions;
}

/**
 * "Require re-register MFA" (R-A10.6): removes every sign-in method (phones, authenticator apps,
 * hardware tokens), the recovery codes and pending challenges, unassigns hardware tokens, ends
 * every session, sign-in in progress and remembered browser, and requires MFA, so the next
 * sign-in meets "Keep your account secure".
 */
export function requireReregister(
  db: Db,
  agent: Agent,
  subjectId: string,
  why: AgentReasonInput,
  context: RequestContext,
) {
  return actOn(db, agent, subjectId, "require_reregister", why, context, async (tx, subject) => {
    const removed = await removeEveryMethod(tx, subject.id);
    const sessions = await endEverySession(tx, subject.id, "mfa_reset_by_helpdesk");
    const browsers = await forgetBrowsers(tx, subject.id);
    return {
      value: undefined,
      details: {
        ...removed,
        sessionsRevoked: sessions,
        browsersForgotten: browsers,
      },
      notice: "admin.mfa_reset",
    };
  });
}

/** "Revoke MFA sessions": every remembered browser asks for a second factor again. */
export function revokeMfaSessions(
  db: Db,
  agent: Agent,
  subjectId: string,
  why: AgentReasonInput,
  context: RequestContext,
) {
  return actOn(db, agent, subjectId, "revoke_mfa_sessions", why, context, async (tx, subject) => {
    const browsers = await forgetBrowsers(tx, subject.id);
    return {
      value: undefined,
      details: { browsersForgotten: browsers },
      notice: "admin.mfa_sessions_revoked",
    };
  });
}

/**
 * "Forget" on one of the account's remembered browsers: it asks for a second factor at its next
 * sign-in; the others stay. A reference of another account's browser is refused like one
 * already forgotten, and changes nothing (R-A9.4).
 */
export function forgetBrowser(
  db: Db,
  agent: Agent,
  subjectId: string,
  reference: string,
  why: AgentReasonInput,
  context: RequestContext,
) {
  return actOn(db, agent, subjectId, "forget_browser", why, context, async (tx, subject) => {
    const browser = await forgetOwnBrowser(tx, subject.id, reference);
    if (!browser) throw new Refusal("That browser is no longer remembered.");
    const name = await forgottenBrowserName(browser);
    return {
      value: undefined,
      details: { browser: browser.reference, device: name },
      notice: "admin.remembered_browser_forgotten",
      noticeDetail: `The browser: ${name}.`,
    };
  });
}

/** "Sign out all sessions" (R-A12.9): every session and sign-in in progress ends now. */
export function signOutAllSessions(
  db: Db,
  agent: Agent,
  subjectId: string,
  why: AgentReasonInput,
  context: RequestContext,
) {
  return actOn(db, agent, subjectId, "sign_out_all", why, context, async (tx, subject) => {
    const sessions = await endEverySession(tx, subject.id, "signed_out_by_helpdesk");
    return {
      value: undefined,
      details: { sessionsRevoked: sessions },
      notice: "admin.sessions_revoked",
    };
  });
}

/**
 * "Reset password": a generated temporary password, returned once to show the agent (never
 * stored but as its hash, never logged); it must be changed at the next sign-in. Like every
 * password change (`replacePassword`), every session, sign-in in progress and remembered browser
 * ends, and the password lock is cleared so the new password works at once.
 */
export async function resetPassword(
  db: Db,
  agent: Agent,
  subjectId: string,
  why: AgentReasonInput,
  context: RequestContext,
): Promise<AgentActionResult<{ temporaryPassword: string }>> {
  if (!isUserId(subjectId)) return { ok: false, reason: "missing", message: MISSING };
  // Hashing is slow: done before the transaction so the row lock is held briefly.
  const temporaryPassword = generatePassword();
  const passwordHash = await hashPassword(temporaryPassword);
  return actOn(db, agent, subjectId, "reset_password", why, context, async (tx, subject) => {
    if (subject.directoryId) {
      // Written only once the agent's right to act is settled, so inside the transaction: one
      // directory operation, bounded by LDAP_TIMEOUT_SECONDS. The directory keeps the password;
      // Factor keeps only the duty to change it at the next sign-in.
      const directory = getDirectoryConfig();
      const written = directory
        ? await setDirectoryPassword(directory, subject.directoryId, temporaryPassword)
        : ({ ok: false, reason: "unavailable" } as const);
      if (!written.ok)
        throw new Refusal(
          written.reason === "refused"
            ? directoryRefusalMessage(written.message)
            : "The organisation's directory did not answer: nothing was changed. Try again later.",
        );
    }
    const ended = await replacePassword(tx, subject, subject.directoryId ? null : passwordHash, {
      mustChange: true,
      signOut: "all",
      reason: "password_reset_by_helpdesk",
    });
    return {
      value: { temporaryPassword },
      details: { sessionsRevoked: ended.sessionsEnded, browsersForgotten: ended.browsersForgotten },
      notice: "admin.password_reset",
    };
  });
}

/**
 * "Unlock account": forgets the failures of the password and pass steps (keyed by the lowered
 * email) and of
 * the second step (the account and each of its options, keyed `${userId}:…`).
 */
export function unlockAccount(
  db: Db,
  agent: Agent,
  subjectId: string,
  why: AgentReasonInput,
  context: RequestContext,
) {
  return actOn(db, agent, subjectId, "unlock", why, context, async (tx, subject) => {
    const cleared = await tx
      .delete(authThrottles)
      .where(
        or(
          and(
            inArray(authThrottles.scope, ["password:account", "access_pass:account"]),
            eq(authThrottles.key, subject.email.toLowerCase()),
          ),
          and(
            inArray(authThrottles.scope, ["mfa:account", "password_reset:account"]),
            eq(authThrottles.key, subject.id),
          ),
          and(eq(authThrottles.scope, "mfa:option"), like(authThrottles.key, `${subject.id}:%`)),
        ),
      )
      .returning({
        locked: sql<boolean>`coalesce(${authThrottles.lockedUntil} > now(), false)`,
      });
    const wasLocked = cleared.some((c) => c.locked);
    return {
      value: undefined,
      details: { countersCleared: cleared.length, wasLocked },
      notice: "admin.account_unlocked",
    };
  });
}

/**
 * "Disable account": nobody can sign in; every session, sign-in and remembered browser ends. On
 * an account the directory sync disabled ("Keep disabled"), it makes the console's decision, so
 * the sync no longer enables it again when the person is back in the directory.
 */
export function disableAccount(
  db: Db,
  agent: Agent,
  subjectId: string,
  why: AgentReasonInput,
  context: RequestContext,
) {
  return actOn(
    db,
    agent,
    subjectId,
    "disable",
    why,
    context,
    async (tx, subject): Promise<Performed<undefined>> => {
      if (subject.status === "disabled") {
        if (subject.disabledBy !== "directory") {
          throw new Refusal("The account is disabled already.");
        }
        await tx
          .update(users)
          .set({ disabledBy: "console", updatedAt: sql`now()` })
          .where(eq(users.id, subject.id));
        return { value: undefined, details: { keptFromDirectory: true } };
      }
      if (subject.role === "admin") await ensureAnotherAdmin(tx, subject.id);
      await tx
        .update(users)
        .set({ status: "disabled", disabledBy: "console", updatedAt: sql`now()` })
        .where(eq(users.id, subject.id));
      const sessions = await endEverySession(tx, subject.id, "account_disabled");
      await forgetBrowsers(tx, subject.id);
      return {
        value: undefined,
        details: { sessionsRevoked: sessions },
        notice: "admin.account_disabled",
      };
    },
  );
}

/** "Enable account". */
export function enableAccount(
  db: Db,
  agent: Agent,
  subjectId: string,
  why: AgentReasonInput,
  context: RequestContext,
) {
  return actOn(db, agent, subjectId, "enable", why, context, async (tx, subject) => {
    if (subject.status === "active") throw new Refusal("The account is enabled already.");
    await tx
      .update(users)
      .set({ status: "active", disabledBy: null, updatedAt: sql`now()` })
      .where(eq(users.id, subject.id));
    return { value: undefined, notice: "admin.account_enabled" };
  });
}

/**
 * "Allow postponing registration" / "Stop allowing postponement": chooses a person for the
 * organisation's registration grace period (docs/decisions/0022), or takes them out of it. The
 * period's count and last day still apply. Never for a helpdesk or admin account (R-A16.1).
 */
export function setRegistrationGrace(
  db: Db,
  agent: Agent,
  subjectId: string,
  allowed: boolean,
  why: AgentReasonInput,
  context: RequestContext,
) {
  const action = allowed ? "allow_postponing" : "stop_postponing";
  return actOn(db, agent, subjectId, action, why, context, async (tx, subject) => {
    if (allowed && !GRACE_ROLES.includes(subject.role)) {
      throw new Refusal(
        "Helpdesk and admin accounts set up a sign-in method at once: they cannot postpone it.",
      );
    }
    const [changed] = await tx
      .update(users)
      .set({ registrationGrace: allowed, updatedAt: sql`now()` })
      .where(and(eq(users.id, subject.id), eq(users.registrationGrace, !allowed)))
      .returning({ id: users.id });
    if (!changed) {
      throw new Refusal(
        allowed ? "This person may postpone already." : "This person was not chosen to postpone.",
      );
    }
    return { value: undefined };
  });
}

/**
 * Deletes one of the account's methods (R-A9.6: the helpdesk can revoke any method). Another
 * account's method id is "missing" like an unknown one (R-A9.4). Removing the default makes the
 * next method the default; removing the last leaves the person to register again.
 */
export function deleteMethod(
  db: Db,
  agent: Agent,
  subjectId: string,
  methodId: string,
  why: AgentReasonInput,
  context: RequestContext,
) {
  return actOn(db, agent, subjectId, "delete_method", why, context, async (tx, subject) => {
    const method = await getOwnMethod(tx, subject.id, methodId);
    if (!method) throw new Refusal("That sign-in method no longer exists.");
    await tx
      .delete(mfaMethods)
      .where(and(eq(mfaMethods.id, method.id), eq(mfaMethods.userId, subject.id)));
    await tx
      .update(hardwareTokens)
      .set({ activatedAt: null })
      .where(and(eq(hardwareTokens.userId, subject.id), sql`${hardwareTokens.methodId} is null`));
    if (method.isDefault) {
      const { methods } = await getMethodSummary(tx, subject.id);
      if (methods[0]) await setDefaultMethod(tx, subject.id, methods[0].id);
    }
    return {
      value: undefined,
      details: { kind: method.kind, methodId: method.id },
      notice: "admin.method_removed",
      noticeDetail: `${methodName(method)}.`,
    };
  });
}

const ROLE_NAMES: Record<Role, string> = {
  user: "User",
  helpdesk: "Helpdesk agent",
  admin: "Administrator",
};

/**
 * Grants or revokes the helpdesk and administrator roles (administrators only). An agent role
 * is given only to someone who already has a method that role may use: otherwise their phone,
 * which agents may not use (R-A5.6), would leave them no way past the second step.
 */
export function changeRole(
  db: Db,
  agent: Agent,
  subjectId: string,
  role: Role,
  why: AgentReasonInput,
  context: RequestContext,
) {
  return actOn(db, agent, subjectId, "change_role", why, context, async (tx, subject) => {
    if (subject.role === role) throw new Refusal(`The account is ${ROLE_NAMES[role]} already.`);
    if (subject.role === "admin") await ensureAnotherAdmin(tx, subject.id);
    if (role !== "user") {
      const { registered } = await getMethodSummary(tx, subject.id);
      if (!registered.some((method) => kindAllowedFor(method.kind, role))) {
        throw new Refusal(
          `${subject.displayName} has no sign-in method ${role === "admin" ? "an administrator" : "a helpdesk agent"} may use. Text messages and calls don't count: they need to set up the Authenticator app, a passkey or a hardware token first.`,
        );
      }
    }
    await tx
      .update(users)
      .set({ role, updatedAt: sql`now()` })
      .where(and(eq(users.id, subject.id), ne(users.role, role)));
    return {
      value: undefined,
      details: { from: subject.role, to: role },
      notice: "admin.role_changed",
      noticeDetail: `It is now: ${ROLE_NAMES[role]}.`,
    };
  });
}

/** What the console calls each role. */
export function roleName(role: Role): string {
  return ROLE_NAMES[role];
}

/**
 * "Issue Temporary Access Pass" (R-A10): revokes any pass the person still had and issues one,
 * returned once to read to them and stored nowhere but as its hash; never audited itself
 * (R-A16.3), only its id and end. A disabled account is refused: the pass could not be used.
 */
export function issueAccessPassTo(
  db: Db,
  agent: Agent,
  subjectId: string,
  why: AgentReasonInput,
  context: RequestContext,
): Promise<AgentActionResult<{ pass: string; until: string }>> {
  return actOn(db, agent, subjectId, "issue_pass", why, context, async (tx, subject) => {
    if (subject.status !== "active") throw new Refusal("The account is disabled: enable it first.");
    const issued = await issueAccessPass(tx, { userId: subject.id, issuedBy: agent.id });
    // The policy's lifetimes are out of range: the administrator fixes them in Settings.
    if (!issued.ok) throw new Refusal(issued.message);
    const until = `${issued.expiresAt.toISOString().slice(0, 16).replace("T", " ")} UTC`;
    return {
      value: { pass: issued.pass, until },
      details: { passId: issued.id, expiresAt: issued.expiresAt.toISOString() },
      notice: "access_pass.issued",
      noticeDetail: `It works once, until ${until}. If you did not ask the helpdesk for it, tell them at once.`,
    };
  });
}

/** "Assign hardware token": gives a free token to this person (R-A4.6: one holder per token). */
export function assignTokenTo(
  db: Db,
  agent: Agent,
  subjectId: string,
  tokenId: string,
  why: AgentReasonInput,
  context: RequestContext,
): Promise<AgentActionResult<{ serialNumber: string }>> {
  return actOn(db, agent, subjectId, "assign_token", why, context, async (tx, subject) => {
    const token = await assignToken(tx, tokenId, subject.id);
    if (!token) throw new Refusal("That token is no longer available.");
    return {
      value: { serialNumber: token.serialNumber },
      details: { tokenId: token.id, serialNumber: token.serialNumber },
      notice: "hardware_token.assigned",
      noticeDetail: `serial number ${token.serialNumber}${token.model ? ` (${token.model})` : ""}.`,
    };
  });
}

/**
 * "Import tokens": the vendor's file in one transaction with its audit record (nothing unless
 * every row is clean, lib/admin/hardware-tokens.ts), and each token the file names a holder for
 * recorded and told to that person as an assignment.
 */
export function importTokensFor(
  db: Db,
  agent: Agent,
  csv: string,
  why: AgentReasonInput,
  context: RequestContext,
): Promise<TokenImportResult> {
  return db.transaction(async (tx) => {
    const imported = await importTokens(tx, csv, { id: agent.id, ...context, reason: why.reason });
    if (!imported.ok || imported.assigned.length === 0) return imported;
    const holders = await getTokenHolders(
      tx,
      imported.assigned.map((a) => a.userId),
    );
    for (const { userId, serialNumber } of imported.assigned) {
      const subject = holders.find((h) => h.id === userId);
      if (!subject) continue;
      await recordAgentActionWith(
        tx,
        {
          agent,
          subject,
          action: "assign_token",
          reason: why.reason,
          ticket: why.ticket ?? null,
          outcome: "success",
          details: { serialNumber, imported: true },
          notice: "hardware_token.assigned",
          noticeDetail: `serial number ${serialNumber}.`,
        },
        context,
      );
    }
    return imported;
  });
}

/**
 * An agent activates a token for its holder with the code the holder reads out. The code goes
 * through the holder's own enrolment (lib/auth/enrolment.ts): its step is spent, and a wrong one
 * counts against the holder's budget of wrong codes, so the console is no way around the pause
 * (R-A11.3). The record names the agent and the reason; a refusal of the agent is recorded too.
 */
export async function activateTokenFor(
  db: Db,
  agent: Agent,
  tokenId: string,
  code: string,
  why: AgentReasonInput,
  context: RequestContext,
): Promise<AgentActionResult<{ serialNumber: string }>> {
  const holder = await getTokenHolder(db, tokenId);
  if (!holder) {
    return { ok: false, reason: "missing", message: "That token is not assigned to anyone." };
  }
  const permission = agentMayActOn(agent, holder, "assign_token");
  if (!permission.ok) {
    await recordAgentActionWith(
      db,
      {
        agent,
        subject: holder,
        action: "assign_token",
        reason: why.reason,
        ticket: why.ticket ?? null,
        outcome: "denied",
      },
      context,
    );
    return { ok: false, reason: "refused", message: permission.message };
  }
  const result = await confirmEnrolment(db, {
    enrolee: { user: holder },
    kind: "hardware_token",
    proof: "code",
    answer: code,
    confirm: (tx, answer: string) => activateHardwareToken(tx, holder.id, tokenId, answer),
    context,
    agent: { id: agent.id, reason: why.reason, ticket: why.ticket ?? null },
  });
  if (result.ok) return { ok: true, value: { serialNumber: result.value.serialNumber } };
  const messages: Partial<Record<typeof result.reason, string>> = {
    throttled: "Too many wrong codes for this person lately. Try again in a few minutes.",
    wrong_code: "That code didn't work. Ask for the code the token shows now.",
    limit_reached: `The person already has ${limitFor("hardware_token")} ${METHOD_KIND_INFO.hardware_token.limitName}.`,
  };
  return {
    ok: false,
    reason: "refused",
    message: messages[result.reason] ?? "That token is not waiting to be activated.",
  };
}
