import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { auditLog, authThrottles, outbox, users } from "@/lib/db/schema";
import { getEnv } from "@/lib/env";
import { getThrottle } from "@/lib/security/throttle";
import { createTestDatabase } from "@/lib/testing/test-database";
import {
  hashPassword,
  PASSWORD_MAX_LENGTH,
  verifyAgainstDummy,
  verifyPassword,
} from "@/lib/security/password";
import {
  checkPassword,
  type AccountRef,
  type PasswordAccount,
  type PasswordCheckRequest,
  type PasswordProof,
} from "./password-gate";
import { createTestUser } from "@/lib/testing/users";

// The gate's argon2 calls are watched, not replaced: what work a refusal cost is part of what a
// stranger observes (R-A11.5, R-A18.1).
vi.mock("@/lib/security/password", async (importOriginal) => {
  const actual = await importOriginal<typeof import("@/lib/security/password")>();
  return {
    ...actual,
    verifyPassword: vi.fn(actual.verifyPassword),
    verifyAgainstDummy: vi.fn(actual.verifyAgainstDummy),
  };
});

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let n = 0;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.dispose();
});
beforeEach(() => {
  vi.mocked(verifyPassword).mockClear();
  vi.mocked(verifyAgainstDummy).mockClear();
});

/** A person, and an address of their own so no other test's failures count against it. */
async function person(overrides: Partial<typeof users.$inferInsert> = {}) {
  n += 1;
  const email = `gate-${n}@example.edu`;
  const { id, password } = await createTestUser(database.db, {
    email,
    displayName: `Gate ${n}`,
    role: "user",
    mfaRequired: false,
  });
  if (Object.keys(overrides).length)
    await database.db.update(users).set(overrides).where(eq(users.id, id));
  return { id, email, password, context: { ip: `203.0.113.${n}`, userAgent: "vitest" } };
}

type Person = Awaited<ReturnType<typeof person>>;

function check<P = undefined, T = undefined>(
  who: Person,
  password: string,
  extra: Partial<PasswordCheckRequest<P, T, PasswordProof>> = {},
) {
  return checkPassword<P, T>(database.db, {
    account: { email: who.email },
    password,
    context: who.context,
    purpose: "sign_in",
    ...extra,
  });
}

async function lock(scope: "password:account" | "password:ip", key: string) {
  await database.db.insert(authThrottles).values({
    scope,
    key,
    failures: 10,
    lockedUntil: new Date(Date.now() + 5 * 60_000),
  });
}

async function auditsFor(subjectId: string | null, email: string) {
  const rows = await database.db
    .select({
      action: auditLog.action,
      outcome: auditLog.outcome,
      actorId: auditLog.actorId,
      subjectId: auditLog.subjectId,
      details: auditLog.details,
    })
    .from(auditLog);
  // Creating the account is audited too; only what the checks wrote matters here.
  return rows.filter(
    (r) =>
      r.action !== "user.created" &&
      (subjectId ? r.subjectId === subjectId : r.details?.email === email),
  );
}

async function mailTo(email: string) {
  const rows = await database.db
    .select({ subject: outbox.subject })
    .from(outbox)
    .where(eq(outbox.recipient, email));
  return rows.map((r) => r.subject);
}

async function failures(scope: "password:account" | "password:ip", key: string) {
  return (await getThrottle(database.db, scope, key)).failures;
}

describe("the password gate", () => {
  it("looks at the pauses first: the right password is refused after the dummy hash, uncounted (R-A11.5)", async () => {
    const who = await person();
    await lock("password:account", who.email);
    const result = await check(who, who.password);
    expect(result).toEqual({ ok: false, reason: "locked", retryAfterSeconds: expect.any(Number) });
    if (result.ok || result.reason !== "locked") return;
    expect(result.retryAfterSeconds).toBeGreaterThan(0);
    expect(result.retryAfterSeconds).toBeLessThanOrEqual(300);
    // The same argon2 work as a check, never against the account's own hash.
    expect(verifyAgainstDummy).toHaveBeenCalledTimes(1);
    expect(verifyPassword).not.toHaveBeenCalled();
    expect(await failures("password:account", who.email)).toBe(10);
    expect(await failures("password:ip", who.context.ip)).toBe(0);
    expect(await auditsFor(who.id, who.email)).toEqual([
      expect.objectContaining({
        action: "auth.sign_in.failed",
        outcome: "denied",
        details: { reason: "account_locked", email: who.email },
      }),
    ]);

    // A paused address refuses every account behind it the same way.
    const neighbour = await person();
    await lock("password:ip", neighbour.context.ip);
    expect(await check(neighbour, neighbour.password)).toMatchObject({ reason: "locked" });
    expect(await auditsFor(neighbour.id, neighbour.email)).toEqual([
      expect.objectContaining({ details: { reason: "address_locked", email: neighbour.email } }),
    ]);
  });

  it("verifies an unknown account against the dummy hash and counts it under the email typed (R-A3.6, R-A18.1)", async () => {
    const who = await person();
    const ghost = { ...who, id: "", email: "  Nobody.Here@EXAMPLE.edu " };
    const unknown = await check(ghost, "a guess at nothing");
    const wrong = await check(who, "a guess at something");
    expect(unknown).toEqual({ ok: false, reason: "wrong_password" });
    expect(wrong).toEqual(unknown);
    expect(verifyAgainstDummy).toHaveBeenCalledTimes(1);
    expect(verifyPassword).toHaveBeenCalledTimes(1);
    expect(await failures("password:account", "nobody.here@example.edu")).toBe(1);
    expect(await auditsFor(null, "nobody.here@example.edu")).toEqual([
      expect.objectContaining({
        action: "auth.sign_in.failed",
        outcome: "failure",
        subjectId: null,
        details: { reason: "unknown_account", email: "nobody.here@example.edu", failures: 1 },
      }),
    ]);

    // An account without a password costs the same and is refused the same.
    const passwordless = await person({ passwordHash: null });
    vi.mocked(verifyAgainstDummy).mockClear();
    expect(await check(passwordless, "")).toEqual(unknown);
    expect(verifyAgainstDummy).toHaveBeenCalledTimes(1);
  });

  it("counts a failure per account and per address, a repeated wrong password once (R-A11.2, R-A11.3)", async () => {
    const who = await person();
    await check(who, "the same typo");
    await check(who, "the same typo");
    await check(who, "another typo");
    expect(await failures("password:account", who.email)).toBe(2);
    expect(await failures("password:ip", who.context.ip)).toBe(2);
    // Parallel guesses are neither lost nor doubled.
    await Promise.all([0, 1, 2, 3].map((i) => check(who, `parallel guess ${i}`)));
    expect(await failures("password:account", who.email)).toBe(6);
    expect(await failures("password:ip", who.context.ip)).toBe(6);

    // A disabled account's right password is refused and counted like a wrong one.
    const disabled = await person({ status: "disabled" });
    expect(await check(disabled, disabled.password)).toEqual({
      ok: false,
      reason: "wrong_password",
    });
    expect(await failures("password:account", disabled.email)).toBe(1);
    expect((await auditsFor(disabled.id, disabled.email))[0]?.details).toMatchObject({
      reason: "account_disabled",
    });
  });

  it("audits a pause that starts and tells the owner exactly once, wherever the password was asked (R-A11.5, R-A15.1)", async () => {
    const who = await person();
    const threshold = getEnv().PASSWORD_LOCKOUT_THRESHOLD;
    const asHolder = (password: string) =>
      check(who, password, {
        account: { userId: who.id },
        purpose: "password_change",
        details: { via: "secure_account" },
      });
    for (let i = 0; i < threshold; i++) {
      expect(await asHolder(`wrong ${i}`)).toEqual({ ok: false, reason: "wrong_password" });
    }
    expect(await asHolder(who.password)).toMatchObject({ ok: false, reason: "locked" });
    expect(await asHolder(`wrong ${threshold}`)).toMatchObject({ ok: false, reason: "locked" });

    const audits = await auditsFor(who.id, who.email);
    const lockouts = audits.filter((a) => a.action === "auth.sign_in.locked_out");
    expect(lockouts).toEqual([
      {
        action: "auth.sign_in.locked_out",
        outcome: "denied",
        actorId: who.id,
        subjectId: who.id,
        details: {
          scope: "account",
          email: who.email,
          until: expect.any(String),
          purpose: "password_change",
        },
      },
    ]);
    // The person asking is the account's holder: the refusals name them as the actor.
    const refusals = audits.filter((a) => a.action === "auth.password.changed");
    expect(refusals).toHaveLength(threshold + 2);
    expect(refusals.every((a) => a.actorId === who.id && a.details?.via === "secure_account")).toBe(
      true,
    );
    expect(await mailTo(who.email)).toEqual(["Sign-in paused after wrong passwords"]);
  });

  it("resets the account's count on success, not the address's, and hands back the caller's result (R-A11.4)", async () => {
    const who = await person();
    for (let i = 0; i < 3; i++) await check(who, `nope ${i}`);
    const complete = vi.fn(
      async (_tx: unknown, accepted: { user: PasswordAccount; prepared: number }) => ({
        seen: accepted.prepared,
        id: accepted.user.id,
      }),
    );
    const result = await check(who, who.password, { prepare: async () => 42, complete });
    expect(result).toMatchObject({
      ok: true,
      user: { id: who.id, email: who.email },
      value: { seen: 42, id: who.id },
    });
    expect(complete).toHaveBeenCalledTimes(1);
    expect(await failures("password:account", who.email)).toBe(0);
    expect(await failures("password:ip", who.context.ip)).toBe(3);
    expect((await auditsFor(who.id, who.email)).map((a) => a.outcome)).toEqual([
      "failure",
      "failure",
      "failure",
    ]);
  });

  it("leaves no trace for input no account could accept (R-A2.2)", async () => {
    const who = await person();
    const before = {
      audits: (await database.db.select({ id: auditLog.id }).from(auditLog)).length,
      throttles: await database.db.select().from(authThrottles),
    };
    const refused = [
      await check(who, "x".repeat(PASSWORD_MAX_LENGTH * 4 + 1)),
      await check({ ...who, email: "   " }, who.password),
      await check({ ...who, email: `${"a".repeat(320)}@example.edu` }, who.password),
      await check(who, who.password, { account: { userId: randomUUID() } }),
    ];
    expect(refused).toEqual(Array(4).fill({ ok: false, reason: "bad_input" }));
    expect(verifyPassword).not.toHaveBeenCalled();
    expect(verifyAgainstDummy).not.toHaveBeenCalled();
    expect((await database.db.select({ id: auditLog.id }).from(auditLog)).length).toBe(
      before.audits,
    );
    expect(await database.db.select().from(authThrottles)).toEqual(before.throttles);
    expect(await mailTo(who.email)).toEqual([]);
  });

  it("looks at the pauses again in the final transaction: a pause begun meanwhile refuses the right password (R-A11.3)", async () => {
    const who = await person();
    const complete = vi.fn(async () => "changed");
    // `prepare` runs between the check and the final transaction: a parallel guess starting the
    // pause then is what this stands for.
    const result = await check(who, who.password, {
      prepare: () => lock("password:account", who.email),
      complete,
    });
    expect(result).toMatchObject({ ok: false, reason: "locked" });
    expect(complete).not.toHaveBeenCalled();
    expect(await getThrottle(database.db, "password:account", who.email)).toMatchObject({
      failures: 10,
      locked: true,
    });
    expect(await auditsFor(who.id, who.email)).toEqual([
      expect.objectContaining({
        outcome: "denied",
        details: expect.objectContaining({ reason: "account_locked" }),
      }),
    ]);
  });

  it("refuses a password replaced while it was checked, and counts it", async () => {
    const who = await person();
    const complete = vi.fn(async () => "changed");
    const result = await check(who, who.password, {
      prepare: async () => {
        const other = await hashPassword("somebody else's new password");
        await database.db.update(users).set({ passwordHash: other }).where(eq(users.id, who.id));
      },
      complete,
    });
    expect(result).toEqual({ ok: false, reason: "wrong_password" });
    expect(complete).not.toHaveBeenCalled();
    expect(await failures("password:account", who.email)).toBe(1);
  });

  it("keeps the count when the caller's change fails: the reset commits with it or not at all", async () => {
    const who = await person();
    await check(who, "nope");
    await expect(
      check(who, who.password, {
        complete: async () => {
          throw new Error("the change failed");
        },
      }),
    ).rejects.toThrow("the change failed");
    expect(await failures("password:account", who.email)).toBe(1);
  });

  it("takes an account the caller looked up itself, or none (for directory and RADIUS sign-in)", async () => {
    const who = await person();
    const [row] = await database.db
      .select({
        id: users.id,
        email: users.email,
        displayName: users.displayName,
        status: users.status,
        mfaRequired: users.mfaRequired,
        passwordHash: users.passwordHash,
        source: users.source,
        directoryId: users.directoryId,
      })
      .from(users)
      .where(eq(users.id, who.id));
    const found: AccountRef = { lookedUp: row!, email: who.email };
    expect(await check(who, who.password, { account: found })).toMatchObject({
      ok: true,
      user: { id: who.id },
    });
    const none: AccountRef = { lookedUp: null, email: "not-in-the-directory@example.edu" };
    expect(await check(who, "anything", { account: none })).toEqual({
      ok: false,
      reason: "wrong_password",
    });
    expect(verifyAgainstDummy).toHaveBeenCalledTimes(1);
    expect(await failures("password:account", "not-in-the-directory@example.edu")).toBe(1);
    expect(await auditsFor(null, "not-in-the-directory@example.edu")).toEqual([
      expect.objectContaining({
        subjectId: null,
        details: expect.objectContaining({ reason: "unknown_account" }),
      }),
    ]);
  });
});
