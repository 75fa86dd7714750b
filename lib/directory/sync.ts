import { and, count, desc, eq, ne, sql } from "drizzle-orm";
import { writeAudit } from "@/lib/audit/log";
import { endSignInsInProgress, revokeUserSessions } from "@/lib/auth/sessions";
import type { Db } from "@/lib/db/client";
import { directorySyncs, users } from "@/lib/db/schema";
import { forgetBrowsers } from "@/lib/mfa/remembered-browser";
import type { DirectoryConfig } from "./config";
import {
  DirectoryUnavailableError,
  normalizeDn,
  withDirectory,
  type DirectoryPerson,
} from "./ldap";
import { syncDirectoryAccount } from "./password";

// The directory sync (issue #17): reads every person of the directory in pages, creates the
// Factor accounts it lacks, brings names, emails and roles up to date, and disables — never
// deletes — the accounts of people who left. It disables no one when the directory did not
// answer, nor when it returned far fewer people than the last sync found (R-A21.4).

type Role = (typeof users.$inferSelect)["role"];

/** A sync that finds fewer than this share of the people the last one found stops. */
export const SYNC_SHRINK_LIMIT = 0.5;
/** How many changes a run keeps to show (a dry run lists them). */
const CHANGES_KEPT = 500;
/** A run still "running" after this long is taken to have died with its process. */
const RUN_ABANDONED_AFTER_MS = 30 * 60_000;
const SYNC_LOCK = sql`hashtext('factor:directory-sync')`;

export type DirectorySyncResult = typeof directorySyncs.$inferSelect;

export type SyncOptions = {
  dryRun?: boolean;
  /** The administrator who asked, or none for the background job. */
  requestedBy?: string | null;
  pageSize?: number;
  /**
   * The background job's: skip when a sync (not a dry run) started less than this long ago, so
   * instances that share the database sync once per interval between them.
   */
  unlessRanWithinMs?: number;
};

/**
 * Runs one sync, or returns null when another instance's (or request's) run is in progress: the
 * claim is a row taken under a transaction-level advisory lock, so two never run at once.
 */
export async function runDirectorySync(
  db: Db,
  config: DirectoryConfig,
  options: SyncOptions = {},
): Promise<DirectorySyncResult | null> {
  const dryRun = options.dryRun ?? false;
  const run = await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${SYNC_LOCK})`);
    const [busy] = await tx
      .select({ id: directorySyncs.id })
      .from(directorySyncs)
      .where(
        and(
          eq(directorySyncs.outcome, "running"),
          sql`${directorySyncs.startedAt} > now() - make_interval(secs => ${RUN_ABANDONED_AFTER_MS / 1000})`,
        ),
      )
      .limit(1);
    if (busy) return null;
    if (options.unlessRanWithinMs !== undefined) {
      const [recent] = await tx
        .select({ id: directorySyncs.id })
        .from(directorySyncs)
        .where(
          and(
            eq(directorySyncs.dryRun, false),
            sql`${directorySyncs.startedAt} > now() - make_interval(secs => ${options.unlessRanWithinMs / 1000})`,
          ),
        )
        .limit(1);
      if (recent) return null;
    }
    const [row] = await tx
      .insert(directorySyncs)
      .values({ dryRun, requestedBy: options.requestedBy ?? null })
      .returning({ id: directorySyncs.id });
    return row!;
  });
  if (!run) return null;

  const finish = async (values: Partial<DirectorySyncResult>) => {
    const [row] = await db
      .update(directorySyncs)
      .set({ ...values, finishedAt: sql`now()` })
      .where(eq(directorySyncs.id, run.id))
      .returning();
    return row!;
  };

  let read: { people: DirectoryPerson[]; roles: Map<string, Role>; skipped: number };
  try {
    read = await withDirectory(config, async (directory) => {
      const { people, skipped } = await directory.listPeople(options.pageSize);
      const admins = config.groups.admin
        ? await directory.groupMembers(config.groups.admin)
        : new Set<string>();
      const helpdesk = config.groups.helpdesk
        ? await directory.groupMembers(config.groups.helpdesk)
        : new Set<string>();
      const roles = new Map<string, Role>();
      for (const person of people) {
        const dn = normalizeDn(person.dn);
        roles.set(person.id, admins.has(dn) ? "admin" : helpdesk.has(dn) ? "helpdesk" : "user");
      }
      return { people, roles, skipped };
    });
  } catch (error) {
    if (!(error instanceof DirectoryUnavailableError)) {
      await finish({ outcome: "unreachable", message: "The sync failed: see the server's log." });
      throw error;
    }
    console.error(`Directory sync: ${error.message}`);
    return finish({
      outcome: "unreachable",
      message: "The directory did not answer: nothing was changed. The next sync tries again.",
    });
  }

  const known = await db
    .select({
      id: users.id,
      directoryId: users.directoryId,
      email: users.email,
      displayName: users.displayName,
      directoryLogin: users.directoryLogin,
      role: users.role,
      status: users.status,
      disabledBy: users.disabledBy,
    })
    .from(users)
    .where(eq(users.source, "directory"));
  const byDirectoryId = new Map(known.map((row) => [row.directoryId!, row]));
  const present = new Set(read.people.map((person) => person.id));
  const leavers = known.filter((row) => row.status === "active" && !present.has(row.directoryId!));
  // Back in the directory after the sync disabled them (moved back into its scope, re-enabled
  // there). Someone the console disabled stays disabled: only the console undoes that.
  const returners = new Set(
    known
      .filter(
        (row) =>
          row.status === "disabled" &&
          row.disabledBy === "directory" &&
          present.has(row.directoryId!),
      )
      .map((row) => row.id),
  );

  // Far fewer people than the last sync found (or than Factor has, before any sync finished):
  // more likely a broken filter or a half-answering directory than people leaving.
  const [last] = await db
    .select({ found: directorySyncs.found })
    .from(directorySyncs)
    .where(and(eq(directorySyncs.outcome, "completed"), ne(directorySyncs.id, run.id)))
    .orderBy(desc(directorySyncs.startedAt))
    .limit(1);
  const baseline = last?.found ?? known.filter((row) => row.status === "active").length;
  if (leavers.length > 0 && read.people.length < baseline * SYNC_SHRINK_LIMIT) {
    const message =
      `The directory returned ${read.people.length} people, fewer than half of the ${baseline} ` +
      `before: the sync stopped and disabled no one. Check the directory and its settings.`;
    if (!dryRun) {
      await writeAudit(db, {
        action: "directory.sync.stopped",
        outcome: "denied",
        actorId: options.requestedBy ?? null,
        subjectId: null,
        details: { found: read.people.length, before: baseline, wouldDisable: leavers.length },
      });
    }
    return finish({ outcome: "stopped", found: read.people.length, message });
  }

  const counts = { created: 0, updated: 0, disabled: 0, errors: read.skipped };
  const changes: string[] = [];
  const note = (line: string) => {
    if (changes.length < CHANGES_KEPT) changes.push(line);
  };
  if (read.skipped > 0) note(`Skipped ${read.skipped} entries without an id or a login name`);

  for (const person of read.people) {
    const role = read.roles.get(person.id) ?? "user";
    const row = byDirectoryId.get(person.id);
    try {
      if (!row) {
        if (!person.email) {
          counts.errors += 1;
          note(`Cannot create ${person.login}: the directory has no email for them`);
          continue;
        }
        if (!dryRun && !(await syncDirectoryAccount(db, person, role))) {
          counts.errors += 1;
          note(`Cannot create ${person.login}: another account uses ${person.email}`);
          continue;
        }
        counts.created += 1;
        note(`Create ${person.login} (${person.email}) as ${role}`);
        continue;
      }
      const differs: string[] = [];
      if (row.displayName !== person.displayName) differs.push(`name → ${person.displayName}`);
      if (person.email && row.email.toLowerCase() !== person.email.toLowerCase())
        differs.push(`email → ${person.email}`);
      if (row.directoryLogin !== person.login) differs.push(`login → ${person.login}`);
      if (row.role !== role) differs.push(`role → ${role}`);
      if (returners.has(row.id)) {
        if (!dryRun) await enableReturner(db, row.id, options.requestedBy ?? null);
        differs.unshift("enabled again: back in the directory");
      }
      if (differs.length === 0) continue;
      if (!dryRun) {
        await syncDirectoryAccount(db, person, role);
        const [after] = await db
          .select({ role: users.role, displayName: users.displayName, email: users.email })
          .from(users)
          .where(eq(users.id, row.id));
        // A role the groups raise waits until the person has a method that role may use.
        if (after!.role !== role) {
          differs.splice(differs.indexOf(`role → ${role}`), 1);
          note(`Keep ${person.login} as ${after!.role}: no sign-in method a ${role} may use`);
          counts.errors += 1;
        }
        if (differs.length === 0) continue;
      }
      counts.updated += 1;
      note(`Update ${person.login}: ${differs.join(", ")}`);
    } catch (error) {
      counts.errors += 1;
      console.error(`Directory sync, ${person.login}:`, error);
      note(`Could not bring ${person.login} up to date`);
    }
  }

  for (const leaver of leavers) {
    if (!dryRun) {
      const done = await disableLeaver(db, leaver.id, options.requestedBy ?? null);
      if (!done) {
        counts.errors += 1;
        note(`Keep ${leaver.email}: the last active administrator`);
        continue;
      }
    }
    counts.disabled += 1;
    note(`Disable ${leaver.email}: no longer in the directory`);
  }

  return finish({
    outcome: "completed",
    found: read.people.length,
    ...counts,
    changes,
    message: null,
  });
}

/**
 * Disables the account of someone who left the directory: every session, app session, sign-in in
 * progress and remembered browser ends, audited, in one transaction. The last active
 * administrator is kept (false), as the console keeps them.
 */
async function disableLeaver(db: Db, userId: string, actorId: string | null): Promise<boolean> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('factor:administrators'))`);
    const [row] = await tx
      .select({ role: users.role, status: users.status })
      .from(users)
      .where(eq(users.id, userId))
      .for("update");
    if (!row || row.status !== "active") return true;
    if (row.role === "admin") {
      const [others] = await tx
        .select({ n: count() })
        .from(users)
        .where(and(eq(users.role, "admin"), eq(users.status, "active"), ne(users.id, userId)));
      if (!others || others.n === 0) return false;
    }
    await tx
      .update(users)
      .set({ status: "disabled", disabledBy: "directory", updatedAt: sql`now()` })
      .where(eq(users.id, userId));
    const sessions = await revokeUserSessions(tx, userId, "directory_left");
    await endSignInsInProgress(tx, userId);
    const browsers = await forgetBrowsers(tx, userId);
    await writeAudit(tx, {
      action: "directory.account.disabled",
      outcome: "success",
      actorId,
      subjectId: userId,
      details: { sessionsRevoked: sessions, browsersForgotten: browsers },
    });
    return true;
  });
}

/**
 * Enables the account of someone the sync disabled who is back in the directory, audited. Their
 * methods are as they left them; every session and remembered browser ended when they left.
 */
async function enableReturner(db: Db, userId: string, actorId: string | null): Promise<void> {
  await db.transaction(async (tx) => {
    const [row] = await tx
      .update(users)
      .set({ status: "active", disabledBy: null, updatedAt: sql`now()` })
      .where(
        and(eq(users.id, userId), eq(users.status, "disabled"), eq(users.disabledBy, "directory")),
      )
      .returning({ id: users.id });
    if (!row) return;
    await writeAudit(tx, {
      action: "directory.account.enabled",
      outcome: "success",
      actorId,
      subjectId: userId,
      details: {},
    });
  });
}

/** The last sync (a dry run or not), for the console; null before the first. */
export async function getLastDirectorySync(db: Db): Promise<DirectorySyncResult | null> {
  const [row] = await db
    .select()
    .from(directorySyncs)
    .orderBy(desc(directorySyncs.startedAt))
    .limit(1);
  return row ?? null;
}
