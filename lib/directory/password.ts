import { and, eq, ne, sql } from "drizzle-orm";
import type { PasswordAccount } from "@/lib/auth/password-gate";
import { emailMatches } from "@/lib/auth/users";
import { writeAudit } from "@/lib/audit/log";
import type { Db, Executor } from "@/lib/db/client";
import { users } from "@/lib/db/schema";
import { getMethodSummary } from "@/lib/mfa/methods";
import { kindAllowedFor } from "@/lib/mfa/registry";
import type { Result } from "@/lib/types/result";
import type { DirectoryConfig } from "./config";
import {
  DirectoryUnavailableError,
  withDirectory,
  type DirectoryConnection,
  type DirectoryPerson,
  type PasswordWrite,
} from "./ldap";

// The directory as a first-factor verifier: the password gate (lib/auth/password-gate.ts) calls
// it in place of an argon2 check for a person of the directory, after its own pauses, so a
// spray through Factor reaches the directory no more often than Factor's throttles allow.

type Role = (typeof users.$inferSelect)["role"];

/**
 * Why the directory held back an account whose password was right: told only to whoever typed
 * that password. `not_provisionable`: the directory has no email for them, or another account
 * of Factor has it (never linked on the directory's word alone).
 */
export type DirectoryHold =
  "password_expired" | "password_must_change" | "directory_disabled" | "not_provisionable";

export type DirectoryRefusal =
  /** The wrong password, or no such person: indistinguishable, counted. */
  | "wrong_password"
  /** The directory refuses every password of this account, so this one proves nothing. */
  | "directory_locked"
  /** No answer in time: nothing is known and nothing is counted. */
  | "directory_unavailable"
  | DirectoryHold;

export type DirectoryCheck = Result<{ account: PasswordAccount }, DirectoryRefusal>;

/** The role the directory's groups give: administrators' group first, then the helpdesk's. */
async function roleFromGroups(
  config: DirectoryConfig,
  isMember: (group: string) => Promise<boolean>,
): Promise<Role> {
  if (config.groups.admin && (await isMember(config.groups.admin))) return "admin";
  if (config.groups.helpdesk && (await isMember(config.groups.helpdesk))) return "helpdesk";
  return "user";
}

/**
 * Checks `password` with the directory: finds the person (by their Factor account's stable id,
 * or by the name typed when Factor does not know them yet) with the service account, binds as
 * them, and on success brings their Factor account up to date — creating it on a first sign-in.
 * An empty password is refused before any bind: LDAP would take it as an anonymous bind.
 */
export async function checkDirectoryPassword(
  db: Db,
  config: DirectoryConfig,
  account: PasswordAccount | null,
  named: string | null,
  password: string,
): Promise<DirectoryCheck> {
  const query = account?.directoryId ? { id: account.directoryId } : named ? { name: named } : null;
  if (!query || password === "") return { ok: false, reason: "wrong_password" };
  let found: { person: DirectoryPerson; role: Role } | DirectoryRefusal;
  try {
    found = await withDirectory(config, async (directory) => {
      const person = await directory.findPerson(query);
      if (!person) {
        // No such person: a bind that cannot succeed, so the answer takes as long as a real one.
        await directory.bindAs(`cn=no-such-person,${config.baseDn}`, password);
        return "wrong_password";
      }
      const bound = await directory.bindAs(person.dn, password);
      if (bound.answer === "wrong_password") return "wrong_password";
      if (bound.answer === "locked") return "directory_locked";
      if (bound.answer === "held")
        return bound.hold === "disabled" ? "directory_disabled" : bound.hold;
      const role = await roleFromGroups(config, (group) => directory.isMember(group, person.dn));
      return { person, role };
    });
  } catch (error) {
    if (!(error instanceof DirectoryUnavailableError)) throw error;
    console.error(`Directory: ${error.message}`);
    return { ok: false, reason: "directory_unavailable" };
  }
  if (typeof found === "string") return { ok: false, reason: found };
  const synced = await syncDirectoryAccount(db, found.person, found.role);
  if (!synced) return { ok: false, reason: "not_provisionable" };
  return { ok: true, account: synced };
}

const ACCOUNT_COLUMNS = {
  id: users.id,
  email: users.email,
  displayName: users.displayName,
  status: users.status,
  mfaRequired: users.mfaRequired,
  passwordHash: users.passwordHash,
  source: users.source,
  directoryId: users.directoryId,
};

/**
 * Brings the Factor account of a directory person up to date with what the directory says, or
 * creates it (audited). A role that the groups raise is granted only to someone who already has
 * a method that role may use (the rule of lib/admin/account-actions.ts `changeRole`); a lower
 * one applies at once. Null when the person cannot have an account (no email, or one in use).
 */
export async function syncDirectoryAccount(
  db: Db,
  person: DirectoryPerson,
  role: Role,
): Promise<PasswordAccount | null> {
  const [existing] = await db
    .select({ ...ACCOUNT_COLUMNS, role: users.role })
    .from(users)
    .where(eq(users.directoryId, person.id));
  if (!existing) return createDirectoryAccount(db, person, role);

  const newRole = await settleRole(db, existing.id, existing.role, role);
  return db.transaction(async (tx) => {
    // The directory's new email is taken only when no other account uses it.
    const emailFree =
      person.email !== null &&
      !(
        await tx
          .select({ id: users.id })
          .from(users)
          .where(and(emailMatches(person.email), ne(users.id, existing.id)))
      ).length;
    const [row] = await tx
      .update(users)
      .set({
        displayName: person.displayName,
        directoryLogin: person.login,
        role: newRole,
        ...(emailFree ? { email: person.email! } : {}),
        updatedAt: sql`now()`,
      })
      .where(eq(users.id, existing.id))
      .returning(ACCOUNT_COLUMNS);
    if (newRole !== existing.role) {
      await writeAudit(tx, {
        action: "admin.role.changed",
        outcome: "success",
        actorId: null,
        subjectId: existing.id,
        details: { from: existing.role, to: newRole, by: "directory groups" },
      });
    }
    return row!;
  });
}

async function settleRole(db: Executor, userId: string, current: Role, wanted: Role) {
  const rank = { user: 0, helpdesk: 1, admin: 2 } as const;
  if (rank[wanted] <= rank[current]) return wanted;
  const { registered } = await getMethodSummary(db, userId);
  return registered.some((method) => kindAllowedFor(method.kind, wanted)) ? wanted : current;
}

async function createDirectoryAccount(
  db: Db,
  person: DirectoryPerson,
  role: Role,
): Promise<PasswordAccount | null> {
  const email = person.email;
  if (!email) return null;
  return db.transaction(async (tx) => {
    const [taken] = await tx.select({ id: users.id }).from(users).where(emailMatches(email));
    if (taken) return null;
    const [row] = await tx
      .insert(users)
      .values({
        email,
        displayName: person.displayName,
        role,
        source: "directory",
        directoryId: person.id,
        directoryLogin: person.login,
      })
      .onConflictDoNothing()
      .returning(ACCOUNT_COLUMNS);
    // Signed in twice at once: the other sign-in created it.
    if (!row) {
      const [other] = await tx
        .select(ACCOUNT_COLUMNS)
        .from(users)
        .where(eq(users.directoryId, person.id));
      return other ?? null;
    }
    await writeAudit(tx, {
      action: "user.created",
      outcome: "success",
      actorId: null,
      subjectId: row.id,
      details: { role, source: "directory" },
    });
    return row;
  });
}

/** What writing a new password to the directory came to. */
export type DirectoryPasswordWrite =
  | { ok: true }
  /** The directory's policy refused the password: its own words, for the person to read. */
  | { ok: false; reason: "refused"; message: string }
  /** The directory did not answer, or no longer knows the person: nothing was changed. */
  | { ok: false; reason: "unavailable" };

async function writeToDirectory(
  config: DirectoryConfig,
  directoryId: string,
  write: (directory: DirectoryConnection, person: DirectoryPerson) => Promise<PasswordWrite>,
): Promise<DirectoryPasswordWrite> {
  try {
    return await withDirectory(config, async (directory) => {
      const person = await directory.findPerson({ id: directoryId });
      if (!person) return { ok: false, reason: "unavailable" } as const;
      const written = await write(directory, person);
      return written.written
        ? ({ ok: true } as const)
        : ({ ok: false, reason: "refused", message: written.message } as const);
    });
  } catch (error) {
    if (!(error instanceof DirectoryUnavailableError)) throw error;
    console.error(`Directory: ${error.message}`);
    return { ok: false, reason: "unavailable" };
  }
}

/**
 * A person's own password change, written to the directory as them (their current password
 * binds), so the directory's policy for its people applies. Factor stores nothing of either.
 */
export function changeDirectoryPassword(
  config: DirectoryConfig,
  directoryId: string,
  currentPassword: string,
  newPassword: string,
): Promise<DirectoryPasswordWrite> {
  return writeToDirectory(config, directoryId, (directory, person) =>
    directory.changeOwnPassword(person.dn, currentPassword, newPassword),
  );
}

/** A password set for the person by the service account: a reset (self-service or helpdesk). */
export function setDirectoryPassword(
  config: DirectoryConfig,
  directoryId: string,
  newPassword: string,
): Promise<DirectoryPasswordWrite> {
  return writeToDirectory(config, directoryId, (directory, person) =>
    directory.setPassword(person.dn, newPassword),
  );
}

/** The sentence shown when the directory refuses a new password. */
export function directoryRefusalMessage(message: string): string {
  return `The directory refused this password: ${message.replace(/\.?$/, ".")}`;
}
