import { and, eq, isNull, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  auditLog,
  outbox,
  rememberedBrowsers,
  sessions,
  signInTransactions,
  users,
} from "@/lib/db/schema";
import { getEnv } from "@/lib/env";
import { rememberBrowser } from "@/lib/mfa/remembered-browser";
import { hashToken } from "@/lib/security/tokens";
import { getThrottle } from "@/lib/security/throttle";
import { createTestDatabase } from "@/lib/testing/test-database";
import { verifyPassword } from "@/lib/security/password";
import {
  changePassword,
  CURRENT_PASSWORD_LOCKED,
  getPasswordStatus,
  WRONG_CURRENT_PASSWORD,
  type PasswordChangeOptions,
} from "./password-change";
import { createSession, resolveSession } from "./sessions";
import { completeSignIn } from "./sign-in";
import { beginSignInTransaction } from "./sign-in-transaction";
import { createTestUser } from "@/lib/testing/users";

const context = { ip: "198.51.100.20", userAgent: "vitest" };
const NEW_PASSWORD = "correct horse battery staple";
let database: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.dispose();
});

/** An account with two live sessions (this browser and another), a remembered browser and a sign-in in progress. */
async function account(email: string) {
  const { db } = database;
  const { id, password } = await createTestUser(db, {
    email,
    displayName: "Robin Quill",
    role: "user",
    mfaRequired: false,
  });
  await db.update(users).set({ mustChangePassword: true }).where(eq(users.id, id));
  const secondFactorAt = new Date(Date.now() - 60_000);
  const session = (persistent = false) =>
    createSession(db, {
      userId: id,
      aal: 2,
      methods: ["pwd", "otp"],
      authenticatedAt: new Date(Date.now() - 3600_000),
      secondFactorAt,
      persistent,
      ip: context.ip,
      userAgent: "vitest",
    });
  const here = await session(true);
  const elsewhere = await session();
  await rememberBrowser(db, id, 14, "other browser");
  await beginSignInTransaction(db, {
    userId: id,
    purpose: "sign_in",
    stage: "stay_signed_in",
    methods: ["pwd", "otp"],
    callbackPath: "/",
    ip: "203.0.113.66",
    userAgent: "somebody else",
  });
  const [row] = await db
    .select({ passwordHash: users.passwordHash })
    .from(users)
    .where(eq(users.id, id));
  return { id, email, password, here, elsewhere, secondFactorAt, hashBefore: row!.passwordHash! };
}

type Account = Awaited<ReturnType<typeof account>>;

function options(
  a: Account,
  overrides: Partial<PasswordChangeOptions> = {},
): PasswordChangeOptions {
  return {
    via: "secure_account",
    signOutOthers: true,
    session: {
      id: hashToken(a.here),
      methods: ["pwd", "otp"],
      secondFactorAt: a.secondFactorAt,
      persistent: true,
    },
    callbackPath: "/secure-account?step=sign-out",
    ...overrides,
  };
}

const change = (a: Account, input: Partial<Record<string, string>> = {}, overrides = {}) =>
  changePassword(
    database.db,
    a.id,
    {
      currentPassword: a.password,
      newPassword: NEW_PASSWORD,
      confirmPassword: NEW_PASSWORD,
      ...input,
    },
    context,
    options(a, overrides),
  );

/** Everything a password change may touch, to compare before and after. */
async function snapshot(a: Account) {
  const { db } = database;
  const [user] = await db
    .select({
      passwordHash: users.passwordHash,
      passwordChangedAt: users.passwordChangedAt,
      mustChangePassword: users.mustChangePassword,
    })
    .from(users)
    .where(eq(users.id, a.id));
  const liveSessions = await db
    .select({ id: sessions.id })
    .from(sessions)
    .where(and(eq(sessions.userId, a.id), isNull(sessions.revokedAt)));
  const liveBrowsers = await db
    .select({ id: rememberedBrowsers.id })
    .from(rememberedBrowsers)
    .where(and(eq(rememberedBrowsers.userId, a.id), isNull(rememberedBrowsers.revokedAt)));
  const signIns = await db
    .select({ id: signInTransactions.id, consumedAt: signInTransactions.consumedAt })
    .from(signInTransactions)
    .where(eq(signInTransactions.userId, a.id));
  const audits = await db
    .select({ action: auditLog.action, outcome: auditLog.outcome })
    .from(auditLog)
    .where(eq(auditLog.subjectId, a.id));
  const mail = await db
    .select({ subject: outbox.subject, body: outbox.body })
    .from(outbox)
    .where(eq(outbox.userId, a.id));
  return {
    user: user!,
    liveSessions: liveSessions.length,
    liveBrowsers: liveBrowsers.length,
    signIns,
    audits,
    mail,
  };
}

describe("changing the password (R-A2.7, R-A13.2)", () => {
  it("changes it and ends every session, remembered browser and sign-in in progress at once", async () => {
    const a = await account("change.ok@example.edu");
    const result = await change(a);
    expect(result).toMatchObject({ ok: true, persistent: true, sessionsEnded: 2 });
    if (!result.ok) return;

    const after = await snapshot(a);
    expect(await verifyPassword(after.user.passwordHash!, NEW_PASSWORD)).toBe(true);
    expect(await verifyPassword(after.user.passwordHash!, a.password)).toBe(false);
    expect(after.user.mustChangePassword).toBe(false);
    expect(after.user.passwordChangedAt).not.toBeNull();
    expect(after.liveSessions).toBe(0);
    expect(await resolveSession(database.db, a.here)).toBeNull();
    expect(await resolveSession(database.db, a.elsewhere)).toBeNull();
    expect(after.liveBrowsers).toBe(0);
    // The attacker's sign-in that was past both factors cannot finish any more.
    const pending = after.signIns.filter((s) => s.consumedAt === null);
    expect(pending).toHaveLength(1);
    expect(after.audits).toEqual(
      expect.arrayContaining([
        { action: "auth.password.changed", outcome: "success" },
        { action: "auth.sessions.revoked_all", outcome: "success" },
      ]),
    );
    expect(after.mail.map((m) => m.subject)).toContain("Your password was changed");
    expect(after.mail.every((m) => !m.body.includes(NEW_PASSWORD))).toBe(true);

    // This browser carries on: a new session, same factors, starting when the password changed.
    const token = await completeSignIn(database.db, result.signInToken, context);
    expect(token).not.toBeNull();
    const resumed = await resolveSession(database.db, token!);
    expect(resumed).toMatchObject({ aal: 2, persistent: true, methods: ["pwd", "otp"] });
    expect(resumed!.secondFactorAt!.getTime()).toBe(a.secondFactorAt.getTime());
    expect(resumed!.authenticatedAt.getTime()).toBe(after.user.passwordChangedAt!.getTime());
    expect(hashToken(token!)).not.toBe(hashToken(a.here));
    // The ready sign-in works once.
    expect(await completeSignIn(database.db, result.signInToken, context)).toBeNull();
  });

  it("can keep the other sessions when the person chooses so, but never the asking one", async () => {
    const a = await account("change.keep@example.edu");
    const result = await change(a, {}, { via: "required_change", signOutOthers: false });
    expect(result.ok).toBe(true);
    expect(await resolveSession(database.db, a.here)).toBeNull();
    expect(await resolveSession(database.db, a.elsewhere)).not.toBeNull();
    expect((await getPasswordStatus(database.db, a.id)).mustChangePassword).toBe(false);
  });

  it("refuses a wrong current password, counts it like the sign-in step and changes nothing", async () => {
    const a = await account("change.wrong@example.edu");
    const before = await snapshot(a);
    const result = await change(a, { currentPassword: "not my password at all" });
    expect(result).toEqual({ ok: false, fieldErrors: { currentPassword: WRONG_CURRENT_PASSWORD } });
    const after = await snapshot(a);
    expect(after.user).toEqual(before.user);
    expect(after.liveSessions).toBe(2);
    expect(after.liveBrowsers).toBe(1);
    expect((await getThrottle(database.db, "password:account", a.email)).failures).toBe(1);
    expect(after.audits).toContainEqual({ action: "auth.password.changed", outcome: "failure" });
    expect(after.mail).toHaveLength(0);
  });

  it("refuses the right current password while the account is locked", async () => {
    const a = await account("change.locked@example.edu");
    const threshold = getEnv().PASSWORD_LOCKOUT_THRESHOLD;
    for (let i = 0; i < threshold; i++) {
      await change(a, { currentPassword: `wrong guess ${i}` });
    }
    const result = await change(a);
    expect(result).toEqual({
      ok: false,
      fieldErrors: { currentPassword: CURRENT_PASSWORD_LOCKED },
    });
    expect((await snapshot(a)).user.passwordHash).toBe(a.hashBefore);
  });

  it("audits a lock that starts here and tells the owner once, as at sign-in (R-A11.5, R-A15.1)", async () => {
    const a = await account("change.lock-told@example.edu");
    const threshold = getEnv().PASSWORD_LOCKOUT_THRESHOLD;
    for (let i = 0; i < threshold; i++) {
      expect(await change(a, { currentPassword: `wrong guess ${i}` })).toEqual({
        ok: false,
        fieldErrors: { currentPassword: WRONG_CURRENT_PASSWORD },
      });
    }
    // Refused while paused: no second record of the same lock, no second email.
    await change(a);
    const lockouts = await database.db
      .select({ outcome: auditLog.outcome, details: auditLog.details })
      .from(auditLog)
      .where(and(eq(auditLog.action, "auth.sign_in.locked_out"), eq(auditLog.subjectId, a.id)));
    expect(lockouts).toEqual([
      {
        outcome: "denied",
        details: expect.objectContaining({ scope: "account", email: a.email }),
      },
    ]);
    const told = (await snapshot(a)).mail.filter(
      (m) => m.subject === "Sign-in paused after wrong passwords",
    );
    expect(told).toHaveLength(1);
  });

  it("checks the new password against the policy and the confirmation before the current one", async () => {
    const a = await account("change.policy@example.edu");
    const common = await change(a, {
      currentPassword: "wrong, but never checked",
      newPassword: "password123",
      confirmPassword: "password123",
    });
    expect(common.ok).toBe(false);
    if (!common.ok) {
      expect(common.fieldErrors.newPassword).toBeTruthy();
      expect(common.fieldErrors.currentPassword).toBeUndefined();
    }
    const named = await change(a, { newPassword: "robin quill", confirmPassword: "robin quill" });
    expect(!named.ok && named.fieldErrors.newPassword).toBeTruthy();
    const mismatch = await change(a, { confirmPassword: `${NEW_PASSWORD}!` });
    expect(mismatch).toMatchObject({
      ok: false,
      fieldErrors: { confirmPassword: expect.any(String) },
    });
    const same = await change(a, { newPassword: a.password, confirmPassword: a.password });
    expect(!same.ok && same.fieldErrors.newPassword).toBeTruthy();
    expect((await getThrottle(database.db, "password:account", a.email)).failures).toBe(0);
    expect((await snapshot(a)).user.passwordHash).toBe(a.hashBefore);
  });

  it("does nothing when the asking session was signed out meanwhile", async () => {
    const a = await account("change.gone@example.edu");
    await database.db
      .update(sessions)
      .set({ revokedAt: sql`now()` })
      .where(eq(sessions.id, hashToken(a.here)));
    const result = await change(a);
    expect(result).toMatchObject({ ok: false, signedOut: true });
    const after = await snapshot(a);
    expect(after.user.passwordHash).toBe(a.hashBefore);
    expect(after.liveSessions).toBe(1);
  });

  it("lets one of two parallel changes win, never both", async () => {
    const a = await account("change.race@example.edu");
    const results = await Promise.all([
      change(a),
      change(a, {
        newPassword: "another long passphrase",
        confirmPassword: "another long passphrase",
      }),
    ]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    const issued = await database.db
      .select({ id: signInTransactions.id })
      .from(signInTransactions)
      .where(and(eq(signInTransactions.userId, a.id), eq(signInTransactions.stage, "ready")));
    expect(issued).toHaveLength(1);
  });

  it("rolls everything back when any part fails (R-A13.2: all or nothing)", async () => {
    const a = await account("change.atomic@example.edu");
    const before = await snapshot(a);
    // The email is the last write of the change: make it fail.
    await database.db.execute(sql`
      create function refuse_outbox() returns trigger language plpgsql as
        $$ begin raise exception 'outbox refused'; end $$`);
    await database.db.execute(sql`
      create trigger refuse_outbox before insert on outbox for each row execute function refuse_outbox()`);
    try {
      await expect(change(a)).rejects.toThrow();
    } finally {
      await database.db.execute(sql`drop trigger refuse_outbox on outbox`);
      await database.db.execute(sql`drop function refuse_outbox()`);
    }
    const after = await snapshot(a);
    expect(after).toEqual(before);
    expect(await resolveSession(database.db, a.here)).not.toBeNull();
    // And with the fault gone, the same request succeeds.
    expect((await change(a)).ok).toBe(true);
  });
});
