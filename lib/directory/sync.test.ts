import { and, eq, isNull } from "drizzle-orm";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createSession, resolveSession } from "@/lib/auth/sessions";
import { clock } from "@/lib/clock";
import { auditLog, directorySyncs, rememberedBrowsers, users } from "@/lib/db/schema";
import { getEnv } from "@/lib/env";
import {
  beginAuthenticatorEnrolment,
  confirmAuthenticatorEnrolment,
  getPendingEnrolment,
} from "@/lib/mfa/authenticator-app";
import { rememberBrowser } from "@/lib/mfa/remembered-browser";
import { totpCode } from "@/lib/mfa/totp";
import { pinClock } from "@/lib/testing/clock";
import {
  directoryPassword,
  personDn,
  TEST_DIRECTORY,
  type TestDirectory,
} from "@/lib/testing/directory";
import type { TestDatabase } from "@/lib/testing/test-database";
import { setUpDirectoryTests } from "@/lib/testing/directory-tests";
import { disableAccount } from "@/lib/admin/account-actions";
import { directoryConfigFrom, type DirectoryConfig } from "./config";
import { getLastDirectorySync, runDirectorySync } from "./sync";

// The directory sync against a real OpenLDAP server, changed with ldapmodify during the test:
// people are created, updated and disabled (never deleted), and an outage or a directory that
// suddenly returns far fewer people disables no one (R-A21.4).

const context = { ip: "198.51.100.72", userAgent: "vitest" };
// The break-glass administrator it makes is local, never touched by the sync.
const setup = setUpDirectoryTests();
let directory: TestDirectory;
let database: TestDatabase;
let config: DirectoryConfig;
beforeAll(() => {
  ({ directory, database } = setup);
  config = directoryConfigFrom(getEnv())!;
});
beforeEach(() => {
  pinClock();
});

const sync = (options = {}) => runDirectorySync(database.db, config, { pageSize: 3, ...options });

async function account(uid: string) {
  const [row] = await database.db.select().from(users).where(eq(users.directoryLogin, uid));
  return row;
}

async function audits(action: string) {
  return database.db
    .select({ subjectId: auditLog.subjectId, details: auditLog.details })
    .from(auditLog)
    .where(eq(auditLog.action, action));
}

const addPerson = (uid: string, mail = `${uid}@example.edu`) =>
  directory.modify(
    [
      `dn: ${personDn(uid)}`,
      "changetype: add",
      "objectClass: inetOrgPerson",
      `uid: ${uid}`,
      `cn: ${uid}`,
      "sn: Person",
      `mail: ${mail}`,
      `userPassword: ${directoryPassword(uid)}`,
      "",
    ].join("\n"),
  );

describe("the directory sync", () => {
  it("creates every person of the directory, with roles from the groups, in pages", async () => {
    const result = await sync();
    expect(result).toMatchObject({
      outcome: "completed",
      dryRun: false,
      found: 7,
      created: 7,
      updated: 0,
      disabled: 0,
      errors: 0,
    });
    expect(result!.finishedAt).not.toBeNull();
    expect(await account("ada.lovelace")).toMatchObject({
      email: "ada.lovelace@example.edu",
      displayName: "Ada Lovelace",
      role: "user",
      source: "directory",
      passwordHash: null,
      status: "active",
    });
    expect((await account("grace.hopper"))!.role).toBe("helpdesk");
    expect((await account("alan.turing"))!.role).toBe("admin");
    const created = await audits("user.created");
    expect(created.filter((row) => row.details?.source === "directory")).toHaveLength(7);

    // Nothing changed: a second sync changes nothing.
    expect(await sync()).toMatchObject({ outcome: "completed", created: 0, updated: 0 });
  });

  it("updates names and emails, and lists the changes without making them in a dry run", async () => {
    await directory.modify(
      [
        `dn: ${personDn("ada.lovelace")}`,
        "changetype: modify",
        "replace: displayName",
        "displayName: Ada King",
        "-",
        "replace: mail",
        "mail: ada.king@example.edu",
        "",
      ].join("\n"),
    );
    await addPerson("mary.somerville");

    const dry = await sync({ dryRun: true });
    expect(dry).toMatchObject({ outcome: "completed", dryRun: true, created: 1, updated: 1 });
    expect(dry!.changes).toEqual(
      expect.arrayContaining([
        "Create mary.somerville (mary.somerville@example.edu) as user",
        "Update ada.lovelace: name → Ada King, email → ada.king@example.edu",
      ]),
    );
    expect(await account("mary.somerville")).toBeUndefined();
    expect((await account("ada.lovelace"))!.displayName).toBe("Ada Lovelace");

    expect(await sync()).toMatchObject({ created: 1, updated: 1, disabled: 0 });
    expect(await account("ada.lovelace")).toMatchObject({
      displayName: "Ada King",
      email: "ada.king@example.edu",
    });
    expect(await account("mary.somerville")).toMatchObject({ status: "active", role: "user" });
  });

  it("makes someone moved into the helpdesk group an agent once they have a method agents may use", async () => {
    await directory.modify(
      [
        `dn: ${TEST_DIRECTORY.helpdeskGroupDn}`,
        "changetype: modify",
        "add: member",
        `member: ${personDn("spray.target")}`,
        "",
      ].join("\n"),
    );
    // No sign-in method yet: the role waits (the method rule for agents), and the run says so.
    const waiting = await sync();
    expect(waiting).toMatchObject({ updated: 0, errors: 1 });
    expect(waiting!.changes).toContain(
      "Keep spray.target as user: no sign-in method a helpdesk may use",
    );
    expect((await account("spray.target"))!.role).toBe("user");

    const spray = (await account("spray.target"))!;
    await beginAuthenticatorEnrolment(database.db, spray.id, "Phone");
    const pending = await getPendingEnrolment(database.db, spray.id, {
      issuer: "Example",
      account: spray.email,
    });
    expect(
      await confirmAuthenticatorEnrolment(
        database.db,
        spray.id,
        await totpCode(pending!.secret, clock.now()),
      ),
    ).toMatchObject({ ok: true });

    expect(await sync()).toMatchObject({ updated: 1, errors: 0 });
    expect((await account("spray.target"))!.role).toBe("helpdesk");
    expect(await audits("admin.role.changed")).toEqual([
      {
        subjectId: spray.id,
        details: { from: "user", to: "helpdesk", by: "directory groups" },
      },
    ]);
  });

  it("disables someone who left, ending their sessions and remembered browsers, audited", async () => {
    const mary = (await account("mary.somerville"))!;
    const token = await createSession(database.db, {
      userId: mary.id,
      aal: 2,
      methods: ["pwd", "otp"],
      authenticatedAt: clock.now(),
      secondFactorAt: clock.now(),
      persistent: true,
      ...context,
    });
    await rememberBrowser(database.db, mary.id, 14, "laptop");
    await directory.modify(`dn: ${personDn("mary.somerville")}\nchangetype: delete\n`);

    expect(await sync()).toMatchObject({ outcome: "completed", found: 7, disabled: 1 });
    // Disabled, not deleted.
    expect(await account("mary.somerville")).toMatchObject({ status: "disabled" });
    expect(await resolveSession(database.db, token)).toBeNull();
    expect(
      await database.db
        .select({ id: rememberedBrowsers.id })
        .from(rememberedBrowsers)
        .where(and(eq(rememberedBrowsers.userId, mary.id), isNull(rememberedBrowsers.revokedAt))),
    ).toEqual([]);
    expect(await audits("directory.account.disabled")).toEqual([
      { subjectId: mary.id, details: { sessionsRevoked: 1, browsersForgotten: 1 } },
    ]);
    // The local administrator is the sync's business in no way.
    const [local] = await database.db
      .select({ status: users.status })
      .from(users)
      .where(eq(users.email, "break.glass@example.edu"));
    expect(local!.status).toBe("active");
  });

  it("enables someone who comes back to the directory, unless the console kept them disabled", async () => {
    await addPerson("ida.returning");
    expect(await sync()).toMatchObject({ outcome: "completed", created: 1, found: 8 });
    const ida = (await account("ida.returning"))!;
    // Moved out of the people's branch (a leaver), then back: the same entry, the same entryUUID.
    const move = (from: string, to: string) =>
      directory.modify(
        [
          `dn: uid=ida.returning,${from}`,
          "changetype: modrdn",
          "newrdn: uid=ida.returning",
          "deleteoldrdn: 1",
          `newsuperior: ${to}`,
          "",
        ].join("\n"),
      );
    const people = TEST_DIRECTORY.peopleDn;
    const elsewhere = "ou=services,dc=example,dc=edu";
    await move(people, elsewhere);
    expect(await sync()).toMatchObject({ disabled: 1, found: 7 });
    expect(await account("ida.returning")).toMatchObject({ status: "disabled" });

    await move(elsewhere, people);
    const preview = await sync({ dryRun: true });
    expect(preview!.changes).toContain(
      "Update ida.returning: enabled again: back in the directory",
    );
    expect(await account("ida.returning")).toMatchObject({ status: "disabled" });
    expect(await sync()).toMatchObject({ outcome: "completed", updated: 1, found: 8 });
    expect(await account("ida.returning")).toMatchObject({ status: "active", disabledBy: null });
    expect(await audits("directory.account.enabled")).toEqual([{ subjectId: ida.id, details: {} }]);

    // Left again, and kept disabled in the console ("Keep disabled"): coming back changes nothing.
    await move(people, elsewhere);
    expect(await sync()).toMatchObject({ disabled: 1 });
    const { breakGlass } = setup;
    const admin = {
      id: breakGlass.id,
      email: "break.glass@example.edu",
      displayName: "Break Glass",
      role: "admin" as const,
      sessionId: "session-admin",
    };
    const keep = { reason: "Left for good", ticket: undefined };
    expect(await disableAccount(database.db, admin, ida.id, keep, context)).toMatchObject({
      ok: true,
    });
    expect(await account("ida.returning")).toMatchObject({
      status: "disabled",
      disabledBy: "console",
    });
    // Once the console's, a second "Disable" is refused as before.
    expect(await disableAccount(database.db, admin, ida.id, keep, context)).toMatchObject({
      ok: false,
      message: "The account is disabled already.",
    });
    await move(elsewhere, people);
    expect(await sync()).toMatchObject({ outcome: "completed", updated: 0, found: 8 });
    expect(await account("ida.returning")).toMatchObject({ status: "disabled" });

    await directory.modify(`dn: uid=ida.returning,${people}\nchangetype: delete\n`);
    expect(await sync()).toMatchObject({ outcome: "completed", found: 7, disabled: 0 });
  });

  it("stops instead of disabling when the directory returns fewer than half the people", async () => {
    const narrow = { ...config, peopleFilter: "(|(uid=ada.lovelace)(uid=alan.turing))" };
    const result = await runDirectorySync(database.db, narrow);
    expect(result).toMatchObject({ outcome: "stopped", found: 2, disabled: 0 });
    expect(result!.message).toMatch(/returned 2 people, fewer than half of the 7/);
    expect(await audits("directory.sync.stopped")).toHaveLength(1);
    const active = await database.db
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.source, "directory"), eq(users.status, "active")));
    expect(active).toHaveLength(7);
    expect((await getLastDirectorySync(database.db))!.outcome).toBe("stopped");
  });

  it("disables no one when the directory does not answer, and tries again next time", async () => {
    await directory.stop();
    try {
      const result = await sync();
      expect(result).toMatchObject({ outcome: "unreachable", disabled: 0, found: 0 });
      expect(result!.message).toMatch(/did not answer/);
    } finally {
      await directory.start();
    }
    const active = await database.db
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.source, "directory"), eq(users.status, "active")));
    expect(active).toHaveLength(7);
    expect(await sync()).toMatchObject({ outcome: "completed", disabled: 0 });
  });

  it("never runs twice at once", async () => {
    await database.db.insert(directorySyncs).values({});
    expect(await sync()).toBeNull();
    await database.db
      .update(directorySyncs)
      .set({ outcome: "completed", finishedAt: new Date() })
      .where(eq(directorySyncs.outcome, "running"));
    expect(await sync()).not.toBeNull();
    // The background job of another instance, within the interval of that sync: skips its turn.
    expect(await sync({ unlessRanWithinMs: 60_000 })).toBeNull();
    expect(await sync({ dryRun: true })).not.toBeNull();
  });
});
