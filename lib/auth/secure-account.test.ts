import { and, eq, isNull, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, mfaMethods, outbox, rememberedBrowsers } from "@/lib/db/schema";
import { rememberBrowser } from "@/lib/mfa/remembered-browser";
import { removeOwnMethod } from "@/lib/mfa/removal";
import { hashToken } from "@/lib/security/tokens";
import { createTestDatabase } from "@/lib/testing/test-database";
import { changePassword } from "./password-change";
import {
  finishSecuringAccount,
  getSecureAccountProgress,
  isRecentlyAdded,
  signOutEverywhereElse,
} from "./secure-account";
import {
  createSession,
  listActiveSessions,
  resolveSession,
  revokeOwnSession,
  sessionReference,
} from "./sessions";
import { completeSignIn } from "./sign-in";
import { createTestUser } from "@/lib/testing/users";

const context = { ip: "198.51.100.30", userAgent: "vitest" };
let database: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.dispose();
});

async function person(email: string, mfaRequired = true) {
  const { id, password } = await createTestUser(database.db, {
    email,
    displayName: "Sam Vale",
    role: "user",
    mfaRequired,
  });
  return { id, email, displayName: "Sam Vale", mfaRequired, password };
}

const sessionFor = (userId: string, userAgent = "vitest", ip = context.ip) =>
  createSession(database.db, {
    userId,
    aal: 2,
    methods: ["pwd", "otp"],
    authenticatedAt: new Date(Date.now() - 60_000),
    secondFactorAt: new Date(),
    persistent: false,
    ip,
    userAgent,
  });

async function method(userId: string, label: string, createdAt: Date, isDefault = false) {
  const [row] = await database.db
    .insert(mfaMethods)
    .values({
      userId,
      kind: "authenticator_app",
      label,
      status: "active",
      isDefault,
      createdAt,
      confirmedAt: createdAt,
    })
    .returning({ id: mfaMethods.id });
  return row!.id;
}

describe("Devices: a person's own sessions (R-A12.7)", () => {
  it("lists only the person's live sessions, marks this one and never shows a stored id", async () => {
    const me = await person("devices.list@example.edu");
    const other = await person("devices.stranger@example.edu");
    const here = await sessionFor(me.id, "Mozilla/5.0 here");
    const there = await sessionFor(me.id, "Mozilla/5.0 there", "203.0.113.9");
    const ended = await sessionFor(me.id);
    await revokeOwnSession(database.db, me.id, sessionReference(hashToken(ended)), "test", "");
    await sessionFor(other.id);

    const list = await listActiveSessions(database.db, me.id, hashToken(here));
    expect(list).toHaveLength(2);
    expect(list.filter((s) => s.current).map((s) => s.userAgent)).toEqual(["Mozilla/5.0 here"]);
    expect(list.map((s) => s.ip).sort()).toEqual([context.ip, "203.0.113.9"].sort());
    const serialised = JSON.stringify(list);
    for (const token of [here, there]) {
      expect(serialised).not.toContain(hashToken(token));
      expect(serialised).not.toContain(token);
    }
  });

  it("signs out one of the person's own other sessions, and nobody else's (R-A9.4)", async () => {
    const me = await person("devices.own@example.edu");
    const stranger = await person("devices.victim@example.edu");
    const here = await sessionFor(me.id);
    const there = await sessionFor(me.id);
    const theirs = await sessionFor(stranger.id);
    const revoke = (reference: string) =>
      revokeOwnSession(database.db, me.id, reference, "signed_out_from_devices", hashToken(here));

    expect(await revoke(sessionReference(hashToken(theirs)))).toBe(false);
    expect(await resolveSession(database.db, theirs)).not.toBeNull();
    expect(await revoke(sessionReference(hashToken(here)))).toBe(false);
    expect(await resolveSession(database.db, here)).not.toBeNull();
    expect(await revoke("not-a-reference")).toBe(false);

    expect(await revoke(sessionReference(hashToken(there)))).toEqual({ forgottenBrowser: null });
    expect(await resolveSession(database.db, there)).toBeNull();
    expect(await revoke(sessionReference(hashToken(there)))).toBe(false);
  });

  it("signs out everywhere else: sessions, remembered browsers; again changes nothing more", async () => {
    const me = await person("devices.all@example.edu");
    const here = await sessionFor(me.id);
    const there = await sessionFor(me.id);
    await rememberBrowser(database.db, me.id, 14, "lost laptop");
    const first = await database.db.transaction((tx) =>
      signOutEverywhereElse(tx, me, hashToken(here), context),
    );
    const second = await database.db.transaction((tx) =>
      signOutEverywhereElse(tx, me, hashToken(here), context),
    );
    expect([first, second]).toEqual([1, 0]);
    expect(await resolveSession(database.db, here)).not.toBeNull();
    expect(await resolveSession(database.db, there)).toBeNull();
    const remembered = await database.db
      .select()
      .from(rememberedBrowsers)
      .where(and(eq(rememberedBrowsers.userId, me.id), isNull(rememberedBrowsers.revokedAt)));
    expect(remembered).toHaveLength(0);
  });
});

describe("Secure your account: progress and summary (R-A13)", () => {
  it("knows the password was changed in this session, and what followed, from the database", async () => {
    const me = await person("secure.progress@example.edu", false);
    const here = await sessionFor(me.id);
    const before = (await resolveSession(database.db, here))!;
    expect(
      (await getSecureAccountProgress(database.db, me.id, before.authenticatedAt)).passwordChanged,
    ).toBe(false);

    const newPassword = "a long and unusual passphrase";
    const result = await changePassword(
      database.db,
      me.id,
      { currentPassword: me.password, newPassword, confirmPassword: newPassword },
      context,
      {
        via: "secure_account",
        signOutOthers: true,
        session: { ...before, persistent: false },
        callbackPath: "/secure-account?step=sign-out",
      },
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const session = (await resolveSession(
      database.db,
      (await completeSignIn(database.db, result.signInToken, context))!,
    ))!;
    const progress = await getSecureAccountProgress(database.db, me.id, session.authenticatedAt);
    expect(progress).toMatchObject({
      passwordChanged: true,
      sessionsEnded: 1,
      methodsRemoved: 0,
      secured: false,
    });

    // Only the session that the change began counts; an older or a later one does not.
    expect(
      (await getSecureAccountProgress(database.db, me.id, before.authenticatedAt)).passwordChanged,
    ).toBe(false);
    expect(
      (
        await getSecureAccountProgress(
          database.db,
          me.id,
          new Date(session.authenticatedAt.getTime() + 1),
        )
      ).passwordChanged,
    ).toBe(false);

    // Finishing twice, even at once, records it and emails the person once (R-A13.3).
    await Promise.all([
      finishSecuringAccount(database.db, me, session.authenticatedAt, context),
      finishSecuringAccount(database.db, me, session.authenticatedAt, context),
    ]);
    await finishSecuringAccount(database.db, me, session.authenticatedAt, context);
    expect(
      (await getSecureAccountProgress(database.db, me.id, session.authenticatedAt)).secured,
    ).toBe(true);
    const secured = await database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.subjectId, me.id), eq(auditLog.action, "auth.account.secured")));
    expect(secured).toHaveLength(1);
    const mail = await database.db
      .select({ subject: outbox.subject })
      .from(outbox)
      .where(eq(outbox.userId, me.id));
    expect(mail.filter((m) => m.subject === "Your account was secured")).toHaveLength(1);
  });

  it("does not record a secured account before the password changed", async () => {
    const me = await person("secure.early@example.edu");
    await finishSecuringAccount(database.db, me, new Date(Date.now() - 1000), context);
    const secured = await database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.subjectId, me.id), eq(auditLog.action, "auth.account.secured")));
    expect(secured).toHaveLength(0);
  });

  it("removes a recently added method in one step, but never the last one (R-A9.5)", async () => {
    const me = await person("secure.methods@example.edu");
    const stranger = await person("secure.stranger@example.edu");
    const old = await method(me.id, "My phone", new Date(Date.now() - 30 * 24 * 3600_000), true);
    const added = await method(me.id, "Unknown device", new Date());
    const theirs = await method(stranger.id, "Their phone", new Date());
    expect(isRecentlyAdded(new Date(Date.now() - 6 * 24 * 3600_000))).toBe(true);
    expect(isRecentlyAdded(new Date(Date.now() - 8 * 24 * 3600_000))).toBe(false);

    const remove = (id: string) =>
      database.db.transaction((tx) => removeOwnMethod(tx, me, id, context));
    expect(await remove(theirs)).toBe("missing");
    expect(await remove(added)).toBe("deleted");
    expect(await remove(added)).toBe("missing");
    expect(await remove(old)).toBe("last");
    const left = await database.db
      .select({ id: mfaMethods.id })
      .from(mfaMethods)
      .where(sql`${mfaMethods.userId} in (${me.id}, ${stranger.id})`);
    expect(left.map((m) => m.id).sort()).toEqual([old, theirs].sort());
    const removed = await database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.subjectId, me.id), eq(auditLog.action, "mfa.method.removed")));
    expect(removed).toHaveLength(1);
  });
});
