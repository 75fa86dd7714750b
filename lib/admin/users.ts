import { and, asc, eq, exists, gt, inArray, like, notExists, or, sql, type SQL } from "drizzle-orm";
import { parse } from "csv-parse/sync";
import { z } from "zod";
import { writeAudit } from "@/lib/audit/log";
import {
  createUser,
  emailMatches,
  type CreatedUser,
  newUserSchema,
  ROLES,
  type NewUserInput,
  type Role,
} from "@/lib/auth/users";
import type { Db, Executor } from "@/lib/db/client";
import { auditLog, authThrottles, mfaMethods, users } from "@/lib/db/schema";
import { alias } from "drizzle-orm/pg-core";
import { AUDIT_SENTENCES, type AuditAction } from "@/lib/audit/events";
import { isUuid } from "@/lib/security/ids";
import type { Result } from "@/lib/types/result";
import type { RequestContext } from "@/lib/types/request";

// Finding and creating people for the helpdesk console (issue #6, item 2).

export type UserStatus = "active" | "disabled";
export const USER_STATUSES = ["active", "disabled"] as const;
export const MFA_FILTERS = ["registered", "not_registered"] as const;
export type MfaFilter = (typeof MFA_FILTERS)[number];

/** One row of the users table in the console. */
export type AdminUserRow = {
  id: string;
  email: string;
  displayName: string;
  role: Role;
  status: UserStatus;
  /** At least one active sign-in method. */
  mfaRegistered: boolean;
  /** A password or second-factor lock is in force now. */
  locked: boolean;
  /** Where the password lives: Factor ("local", such as a break-glass administrator) or the directory. */
  source: "local" | "directory";
};

export type UserSearch = {
  /** Part of a name or email; case is ignored. */
  q?: string;
  role?: Role;
  status?: UserStatus;
  mfa?: MfaFilter;
  /** Only accounts with a lock in force (true) or without (false). */
  locked?: boolean;
  /** The cursor of the page before (`nextCursor`). */
  after?: string;
  limit?: number;
};

export const USER_PAGE_SIZE = 50;
export const USER_PAGE_SIZE_MAX = 200;
/** From this length a search matches anywhere in a name or email; shorter ones match the start. */
export const SUBSTRING_SEARCH_MIN_LENGTH = 3;
const QUERY_MAX_LENGTH = 100;

/** Escapes LIKE's wildcards so a search for "a_b" or "50%" means those characters. */
function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

const lowerEmail = sql<string>`lower(${users.email})`;
const lowerName = sql<string>`lower(${users.displayName})`;

/**
 * The search condition: any part of the email or name for 3 characters or more (the trigram
 * indexes users_email_trgm_idx and users_name_trgm_idx serve `like '%q%'` on the lowered
 * columns), else the start of the email, of the name or of a word in the name.
 */
export function searchCondition(q: string): SQL | undefined {
  const term = q.trim().toLowerCase().slice(0, QUERY_MAX_LENGTH);
  if (term.length === 0) return undefined;
  const escaped = escapeLike(term);
  if (term.length >= SUBSTRING_SEARCH_MIN_LENGTH) {
    return or(like(lowerEmail, `%${escaped}%`), like(lowerName, `%${escaped}%`));
  }
  return or(
    like(lowerEmail, `${escaped}%`),
    like(lowerName, `${escaped}%`),
    like(lowerName, `% ${escaped}%`),
  );
}

const hasActiveMethod = (db: Executor) =>
  db
    .select({ one: sql`1` })
    .from(mfaMethods)
    .where(and(eq(mfaMethods.userId, users.id), eq(mfaMethods.status, "active")));

/**
 * A lock in force on the password step (keyed by the lowered email) or on the second step
 * (keyed by the user id) — what "Unlock account" clears.
 */
function lockedCondition(): SQL {
  return or(
    inArray(
      lowerEmail,
      sql`(select ${authThrottles.key} from ${authThrottles} where ${authThrottles.scope} = 'password:account' and ${authThrottles.lockedUntil} > now())`,
    ),
    inArray(
      sql`${users.id}::text`,
      sql`(select ${authThrottles.key} from ${authThrottles} where ${authThrottles.scope} = 'mfa:account' and ${authThrottles.lockedUntil} > now())`,
    ),
  )!;
}

function encodeCursor(lowered: string): string {
  return Buffer.from(lowered, "utf8").toString("base64url");
}

function decodeCursor(cursor: string | undefined): string | null {
  if (!cursor || cursor.length > 700 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  return Buffer.from(cursor, "base64url").toString("utf8");
}

/** The query behind one page of `searchUsers`: one row more than the page, to tell if more follow. */
export function searchUsersQuery(db: Executor, search: UserSearch, limit: number) {
  const after = decodeCursor(search.after);
  return db
    .select({
      id: users.id,
      email: users.email,
      displayName: users.displayName,
      role: users.role,
      status: users.status,
      // A scalar subquery with a limit, read per row through mfa_methods_user_idx: as EXISTS,
      // the planner hashes every active method first (80 ms at 100,000 people, issue #7).
      mfaRegistered:
        sql<boolean>`(select true from ${mfaMethods} where ${mfaMethods.userId} = ${users.id} and ${mfaMethods.status} = 'active' limit 1) is not null`.mapWith(
          Boolean,
        ),
      locked: sql<boolean>`${lockedCondition()}`.mapWith(Boolean),
      source: users.source,
      sortKey: lowerEmail,
    })
    .from(users)
    .where(
      and(
        search.q ? searchCondition(search.q) : undefined,
        search.role ? eq(users.role, search.role) : undefined,
        search.status ? eq(users.status, search.status) : undefined,
        search.mfa === "registered" ? exists(hasActiveMethod(db)) : undefined,
        search.mfa === "not_registered" ? notExists(hasActiveMethod(db)) : undefined,
        search.locked === true ? lockedCondition() : undefined,
        search.locked === false ? sql`not (${lockedCondition()})` : undefined,
        after !== null ? gt(lowerEmail, after) : undefined,
      ),
    )
    .orderBy(asc(lowerEmail))
    .limit(limit + 1);
}

/**
 * One page of accounts for the console, ordered by email, by keyset on lower(email) (the unique
 * index users_email_lower_idx): no OFFSET and no count, so every page costs the same with
 * 100,000 accounts. An unreadable cursor gives the first page.
 */
export async function searchUsers(
  db: Executor,
  search: UserSearch,
): Promise<{ items: AdminUserRow[]; nextCursor: string | null }> {
  const limit = Math.max(
    1,
    Math.min(Math.trunc(search.limit ?? USER_PAGE_SIZE), USER_PAGE_SIZE_MAX),
  );
  const rows = await searchUsersQuery(db, search, limit);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(({ sortKey: _sortKey, ...row }) => row),
    nextCursor: rows.length > limit && last ? encodeCursor(last.sortKey) : null,
  };
}

/** Everything the console shows about one account — never a secret. */
export type AdminUserDetail = {
  id: string;
  email: string;
  displayName: string;
  role: Role;
  status: UserStatus;
  /** Who disabled a disabled account: the directory sync (a leaver) or the console. */
  disabledBy: "directory" | "console" | null;
  mfaRequired: boolean;
  mustChangePassword: boolean;
  hasPassword: boolean;
  /** "directory": the organisation's directory holds the password; Factor keeps none. */
  source: "local" | "directory";
  passwordChangedAt: Date | null;
  createdAt: Date;
  /** When the password-step lock ends, if one is in force. */
  passwordLockedUntil: Date | null;
  /** When the second-step lock ends, if one is in force. */
  mfaLockedUntil: Date | null;
  /** Chosen on this page for the registration grace period. */
  registrationGrace: boolean;
  /** Times the person chose "Ask me later". */
  registrationPostponements: number;
};

/** True for a well-formed id: anything else is "not found" without asking the database. */
export function isUserId(value: unknown): value is string {
  return isUuid(value);
}

/** One account for the console, or null. */
export async function getAdminUser(db: Executor, userId: string): Promise<AdminUserDetail | null> {
  if (!isUserId(userId)) return null;
  const lockEnd = (scope: string, key: SQL) =>
    sql<Date | null>`(select ${authThrottles.lockedUntil} from ${authThrottles} where ${authThrottles.scope} = ${scope} and ${authThrottles.key} = ${key} and ${authThrottles.lockedUntil} > now())`.mapWith(
      (v: string | Date | null) => (v === null ? null : new Date(v)),
    );
  const [row] = await db
    .select({
      id: users.id,
      email: users.email,
      displayName: users.displayName,
      role: users.role,
      status: users.status,
      disabledBy: users.disabledBy,
      mfaRequired: users.mfaRequired,
      mustChangePassword: users.mustChangePassword,
      hasPassword: sql<boolean>`${users.passwordHash} is not null`.mapWith(Boolean),
      source: users.source,
      passwordChangedAt: users.passwordChangedAt,
      createdAt: users.createdAt,
      passwordLockedUntil: lockEnd("password:account", lowerEmail),
      mfaLockedUntil: lockEnd("mfa:account", sql`${users.id}::text`),
      registrationGrace: users.registrationGrace,
      registrationPostponements: users.registrationPostponements,
    })
    .from(users)
    .where(eq(users.id, userId));
  return row ?? null;
}

// ── CSV import ──────────────────────────────────────────────────────────────

/** Bulk actions are limited (R-A16.2): a file of more rows is refused whole. */
export const IMPORT_MAX_ROWS = 1000;
export const IMPORT_MAX_BYTES = 512 * 1024;
export const IMPORT_COLUMNS = ["email", "name", "role", "mfa_required"] as const;

export type ImportProblem = { line: number; problem: string };
export type ImportRow = {
  line: number;
  email: string;
  displayName: string;
  role: Role;
  mfaRequired: boolean;
};
/** A file's check, or an import's outcome: nothing is imported while any row has a problem. */
export type ImportCheck<Success extends object = { rows: ImportRow[] }> = Result<
  Success,
  "invalid_file",
  { problems: ImportProblem[]; rowCount: number }
>;

const YES = ["true", "yes", "y", "1"];
const NO = ["false", "no", "n", "0"];

const importRowSchema = newUserSchema.extend({
  mfaRequired: z.boolean(),
});

/**
 * Reads and checks an import file (header `email,name,role,mfa_required`; `mfa_required` may be
 * blank for yes) without changing anything: every bad row is reported with its line number, and
 * emails that exist already or repeat in the file are problems too. `allowedRoles` are the roles
 * the importing agent may give.
 */
export async function checkUserImport(
  db: Executor,
  csv: string,
  allowedRoles: readonly Role[],
): Promise<ImportCheck> {
  if (Buffer.byteLength(csv, "utf8") > IMPORT_MAX_BYTES) {
    return {
      ok: false,
      reason: "invalid_file",
      rowCount: 0,
      problems: [{ line: 0, problem: "The file is over 512 KB." }],
    };
  }
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(csv.replace(/^\uFEFF/, ""), {
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (error) {
    const line = (error as { lines?: number }).lines ?? 0;
    return {
      ok: false,
      reason: "invalid_file",
      rowCount: 0,
      problems: [{ line, problem: "The file is not valid CSV (check the quotes on this line)." }],
    };
  }
  const [header, ...body] = records;
  const expected = IMPORT_COLUMNS.join(",");
  if (!header || header.record.map((c) => c.toLowerCase()).join(",") !== expected) {
    return {
      ok: false,
      reason: "invalid_file",
      rowCount: 0,
      problems: [{ line: 1, problem: `The first line must be the header: ${expected}` }],
    };
  }
  if (body.length === 0)
    return {
      ok: false,
      reason: "invalid_file",
      rowCount: 0,
      problems: [{ line: 2, problem: "The file has no rows." }],
    };
  if (body.length > IMPORT_MAX_ROWS) {
    return {
      ok: false,
      reason: "invalid_file",
      rowCount: body.length,
      problems: [
        {
          line: 0,
          problem: `At most ${IMPORT_MAX_ROWS} rows at a time; this file has ${body.length}.`,
        },
      ],
    };
  }

  const problems: ImportProblem[] = [];
  const rows: ImportRow[] = [];
  const seen = new Map<string, number>();
  for (const { record, info } of body) {
    const line = info.lines;
    if (record.length !== IMPORT_COLUMNS.length) {
      problems.push({ line, problem: `Expected 4 values, found ${record.length}.` });
      continue;
    }
    const [email, name, role, mfa] = record as [string, string, string, string];
    const mfaText = mfa.toLowerCase();
    const mfaRequired =
      mfaText === "" || YES.includes(mfaText) ? true : NO.includes(mfaText) ? false : null;
    if (mfaRequired === null) {
      problems.push({
        line,
        problem: `mfa_required must be yes or no, not "${mfa.slice(0, 20)}".`,
      });
      continue;
    }
    const parsed = importRowSchema.safeParse({
      email,
      displayName: name,
      role: role.toLowerCase(),
      mfaRequired,
    });
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = String(issue.path[0]);
      problems.push({
        line,
        problem:
          field === "role"
            ? `Role must be one of ${ROLES.join(", ")}.`
            : field === "email"
              ? "Enter a valid email address."
              : field === "displayName"
                ? "Enter a name of at most 100 characters."
                : issue.message,
      });
      continue;
    }
    if (!allowedRoles.includes(parsed.data.role)) {
      problems.push({ line, problem: `You cannot give the role ${parsed.data.role}.` });
      continue;
    }
    const key = parsed.data.email.toLowerCase();
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      problems.push({ line, problem: `The email repeats line ${earlier}.` });
      continue;
    }
    seen.set(key, line);
    rows.push({ line, ...parsed.data });
  }
  if (rows.length > 0) {
    const existing = await db
      .select({ email: lowerEmail })
      .from(users)
      .where(
        inArray(
          lowerEmail,
          rows.map((r) => r.email.toLowerCase()),
        ),
      );
    const taken = new Set(existing.map((e) => e.email));
    for (const row of rows) {
      if (taken.has(row.email.toLowerCase()))
        problems.push({ line: row.line, problem: "An account with this email exists already." });
    }
  }
  if (problems.length > 0) {
    problems.sort((a, b) => a.line - b.line);
    return { ok: false, reason: "invalid_file", problems, rowCount: body.length };
  }
  return { ok: true, rows };
}

/**
 * Imports a checked file in one transaction — all rows or none. Imported accounts have no
 * password: nobody can sign in to one until an agent resets its password or issues a
 * Temporary Access Pass. Returns how many were created, or the problems (nothing imported).
 */
export async function importUsers(
  db: Db,
  csv: string,
  actor: { id: string; allowedRoles: readonly Role[] },
  context: RequestContext,
): Promise<ImportCheck<{ created: number }>> {
  return db.transaction(async (tx) => {
    // Two imports at once must not both pass the "email is free" check for the same address.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('admin:user-import'))`);
    const check = await checkUserImport(tx, csv, actor.allowedRoles);
    if (!check.ok) return check;
    const created = await tx
      .insert(users)
      .values(
        check.rows.map((r) => ({
          email: r.email,
          displayName: r.displayName,
          role: r.role,
          mfaRequired: r.mfaRequired,
        })),
      )
      .returning({ id: users.id, role: users.role });
    for (const user of created) {
      await writeAudit(tx, {
        action: "user.created",
        outcome: "success",
        actorId: actor.id,
        subjectId: user.id,
        ...context,
        details: { role: user.role, source: "import" },
      });
    }
    await writeAudit(tx, {
      action: "admin.users.imported",
      outcome: "success",
      actorId: actor.id,
      ...context,
      details: { created: created.length },
    });
    return { ok: true as const, created: created.length };
  });
}

/** Whether an account with this email exists (any case). */
export async function emailTaken(db: Executor, email: string): Promise<boolean> {
  const [row] = await db.select({ id: users.id }).from(users).where(emailMatches(email));
  return Boolean(row);
}

/** The roles an agent may give: administrators any, helpdesk agents only "user". */
export function assignableRoles(agentRole: "helpdesk" | "admin"): readonly Role[] {
  return agentRole === "admin" ? ROLES : ["user"];
}

/**
 * "Create user" by an agent: a generated password, returned once to show the agent, which the
 * person must change at their first sign-in (the agent has seen it).
 */
export function createUserByAgent(
  db: Db,
  input: NewUserInput,
  actor: { id: string; ip: string | null },
): Promise<CreatedUser> {
  return createUser(db, input, { actorId: actor.id, ip: actor.ip }, { mustChangePassword: true });
}

export type AgentActionEntry = {
  id: number;
  at: Date;
  what: string;
  outcome: "success" | "failure" | "denied";
  actor: string | null;
  reason: string | null;
  ticket: string | null;
};

/** The latest helpdesk actions on one account, newest first, for its page (index audit_log_subject_idx). */
export async function listAgentActionsOn(
  db: Executor,
  userId: string,
  limit = 20,
): Promise<AgentActionEntry[]> {
  const actor = alias(users, "actor");
  const rows = await db
    .select({
      id: auditLog.id,
      at: auditLog.at,
      action: auditLog.action,
      outcome: auditLog.outcome,
      actor: actor.displayName,
      details: auditLog.details,
    })
    .from(auditLog)
    .leftJoin(actor, eq(actor.id, auditLog.actorId))
    .where(and(eq(auditLog.subjectId, userId), like(auditLog.action, "admin.%")))
    .orderBy(sql`${auditLog.at} desc`, sql`${auditLog.id} desc`)
    .limit(limit);
  return rows.map((r) => ({
    id: r.id,
    at: r.at,
    what: AUDIT_SENTENCES[r.action as AuditAction] ?? r.action,
    outcome: r.outcome,
    actor: r.actor,
    reason: typeof r.details?.reason === "string" ? r.details.reason : null,
    ticket: typeof r.details?.ticket === "string" ? r.details.ticket : null,
  }));
}
