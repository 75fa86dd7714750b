import { and, eq, gt, isNull, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { completeSignIn, recordSecondFactor } from "@/lib/auth/sign-in";
import { getSignInTransaction } from "@/lib/auth/sign-in-transaction";
import {
  auditLog,
  outbox,
  sessions,
  settings,
  signInEvents,
  temporaryAccessPasses,
  users,
} from "@/lib/db/schema";
import { createTestDatabase } from "@/lib/testing/test-database";
import { hashToken } from "@/lib/security/tokens";
import {
  getActiveAccessPass,
  issueAccessPass,
  normaliseAccessPass,
  signInWithAccessPass,
} from "./access-pass";
import { refreshSettings } from "@/lib/settings/store";
import { createTestUser } from "@/lib/testing/users";

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let agentId: string;
let n = 0;

beforeAll(async () => {
  database = await createTestDatabase();
  await refreshSettings(database.db);
  ({ id: agentId } = await createTestUser(database.db, {
    email: "tap-agent@example.edu",
    displayName: "Agent",
    role: "helpdesk",
  }));
});
afterAll(async () => {
  await database.dispose();
});

const context = { ip: "192.0.2.60", userAgent: "vitest" };

async function newUser() {
  n += 1;
  const email = `tap-${n}@example.edu`;
  const { id } = await createTestUser(database.db, {
    email,
    displayName: `Tap ${n}`,
    role: "user",
  });
  return { id, email };
}

function tryIssue(userId: string, options: { lifetimeMinutes?: number } = {}) {
  return database.db.transaction((tx) =>
    issueAccessPass(tx, { userId, issuedBy: agentId, ...options }),
  );
}

async function issue(userId: string, options: { lifetimeMinutes?: number } = {}) {
  const issued = await tryIssue(userId, options);
  if (!issued.ok) throw new Error(issued.message);
  return issued;
}

/** The ids of a person's passes that could still be used. */
async function activePasses(userId: string) {
  const rows = await database.db
    .select({ id: temporaryAccessPasses.id })
    .from(temporaryAccessPasses)
    .where(
      and(
        eq(temporaryAccessPasses.userId, userId),
        isNull(temporaryAccessPasses.revokedAt),
        gt(temporaryAccessPasses.expiresAt, sql`now()`),
      ),
    );
  return rows.map((r) => r.id);
}

const signIn = (email: string, pass: string, ip = context.ip) =>
  signInWithAccessPass(
    database.db,
    { email, pass, callbackPath: "/security-info" },
    { ...context, ip },
  );

describe("issuing a pass (R-A10.1, R-A10.2)", () => {
  it("is 20 characters from the Crockford alphabet, stored only as a keyed hash", async () => {
    const user = await newUser();
    const issued = await issue(user.id);
    expect(issued.pass).toMatch(/^([0-9A-HJKMNP-TV-Z]{4}-){4}[0-9A-HJKMNP-TV-Z]{4}$/);
    expect(normaliseAccessPass(issued.pass)).toHaveLength(20);
    const [row] = await database.db
      .select()
      .from(temporaryAccessPasses)
      .where(eq(temporaryAccessPasses.id, issued.id));
    const plain = normaliseAccessPass(issued.pass)!;
    expect(row!.passHash).not.toContain(plain);
    expect(row!.passHash).not.toBe(hashToken(plain));
    expect(row!.oneTime).toBe(true);
    expect(row!.issuedBy).toBe(agentId);
  });

  it("lasts an hour by default, and refuses lifetimes outside 10 minutes to 8 hours", async () => {
    const user = await newUser();
    const issued = await issue(user.id);
    const minutes = (issued.expiresAt.getTime() - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(59);
    expect(minutes).toBeLessThanOrEqual(60);
    const outOfRange = {
      ok: false,
      reason: "lifetime_out_of_range",
      message: "A pass lasts from 10 to 480 minutes.",
    };
    expect(await tryIssue(user.id, { lifetimeMinutes: 9 })).toEqual(outOfRange);
    expect(await tryIssue(user.id, { lifetimeMinutes: 481 })).toEqual(outOfRange);
    // Refused, the pass issued before still stands.
    expect(await activePasses(user.id)).toEqual([issued.id]);
    expect((await issue(user.id, { lifetimeMinutes: 480 })).expiresAt.getTime()).toBeGreaterThan(
      Date.now() + 479 * 60_000,
    );
  });

  it("follows the lifetime an administrator set", async () => {
    await database.db.insert(settings).values([
      { key: "access_pass_default_minutes", value: 15 },
      { key: "access_pass_max_minutes", value: 30 },
    ]);
    await refreshSettings(database.db);
    try {
      const user = await newUser();
      const minutes = ((await issue(user.id)).expiresAt.getTime() - Date.now()) / 60_000;
      expect(Math.round(minutes)).toBe(15);
      expect(await tryIssue(user.id, { lifetimeMinutes: 60 })).toMatchObject({
        ok: false,
        reason: "lifetime_out_of_range",
      });
    } finally {
      await database.db.delete(settings);
      await refreshSettings(database.db);
    }
  });

  it("revokes the previous pass: one active pass per person", async () => {
    const user = await newUser();
    const first = await issue(user.id);
    const second = await issue(user.id);
    expect((await getActiveAccessPass(database.db, user.id))?.id).toBe(second.id);
    expect(await signIn(user.email, first.pass)).toEqual({ ok: false });
    expect((await signIn(user.email, second.pass)).ok).toBe(true);
  });
});

describe("signing in with a pass", () => {
  it("starts a sign-in at registration that gives no session until a method is registered and used (R-A10.3, R-A9.2)", async () => {
    const user = await newUser();
    const issued = await issue(user.id);
    // Typed in lower case, with spaces instead of hyphens: still the same pass.
    const result = await signIn(user.email, issued.pass.toLowerCase().replace(/-/g, " "));
    if (!result.ok) throw new Error("the pass was refused");
    const transaction = await getSignInTransaction(database.db, result.transactionToken);
    expect(transaction).toMatchObject({ stage: "registration", methods: ["tap"], userId: user.id });
    expect(transaction!.secondFactorAt).toBeNull();

    // The pass alone never finishes the sign-in.
    expect(await completeSignIn(database.db, result.transactionToken, context)).toBeNull();

    // Registering (and so using) an authenticator app is the second factor.
    const stage = await recordSecondFactor(database.db, transaction!, "registration", "otp", {
      stayChoice: false,
    });
    expect(stage).toBe("ready");
    const sessionToken = await completeSignIn(database.db, result.transactionToken, context);
    expect(sessionToken).not.toBeNull();
    const [session] = await database.db
      .select()
      .from(sessions)
      .where(eq(sessions.id, hashToken(sessionToken!)));
    expect(session).toMatchObject({ aal: 2, methods: ["tap", "otp"] });

    const [event] = await database.db
      .select()
      .from(signInEvents)
      .where(and(eq(signInEvents.userId, user.id), eq(signInEvents.result, "success")));
    expect(event).toMatchObject({ reason: "registered", methods: ["tap", "otp"] });
    const [used] = await database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "auth.access_pass.used"), eq(auditLog.subjectId, user.id)));
    expect(used?.details).toEqual({ passId: issued.id });
  });

  it("works once: the same pass fails the second time, even when both tries race", async () => {
    const user = await newUser();
    const issued = await issue(user.id);
    const results = await Promise.all([
      signIn(user.email, issued.pass),
      signIn(user.email, issued.pass),
    ]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(await signIn(user.email, issued.pass)).toEqual({ ok: false });
    expect(await getActiveAccessPass(database.db, user.id)).toBeNull();
  });

  it("answers alike for an unknown account, a wrong, expired or malformed pass and a disabled account (R-A18.1)", async () => {
    const user = await newUser();
    const issued = await issue(user.id);
    const other = await newUser();
    expect(await signIn("nobody@example.edu", issued.pass)).toEqual({ ok: false });
    expect(await signIn(other.email, issued.pass)).toEqual({ ok: false });
    expect(await signIn(user.email, "ABCD-EFGH-JKMN-PQRS-TVWX")).toEqual({ ok: false });
    expect(await signIn(user.email, "not a pass")).toEqual({ ok: false });

    const expiring = await newUser();
    const old = await issue(expiring.id);
    await database.db
      .update(temporaryAccessPasses)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(temporaryAccessPasses.id, old.id));
    expect(await signIn(expiring.email, old.pass)).toEqual({ ok: false });

    const disabled = await newUser();
    const theirs = await issue(disabled.id);
    await database.db.update(users).set({ status: "disabled" }).where(eq(users.id, disabled.id));
    expect(await signIn(disabled.email, theirs.pass)).toEqual({ ok: false });
    // A refused pass is not spent: the person whose pass it is can still use it.
    expect((await signIn(user.email, issued.pass)).ok).toBe(true);

    const reasons = (
      await database.db
        .select()
        .from(auditLog)
        .where(eq(auditLog.action, "auth.access_pass.failed"))
    ).map((r) => r.details?.reason);
    expect(reasons).toEqual(
      expect.arrayContaining([
        "unknown_account",
        "wrong_or_spent_pass",
        "malformed_pass",
        "account_disabled",
      ]),
    );
    const [failure] = await database.db
      .select()
      .from(signInEvents)
      .where(and(eq(signInEvents.userId, other.id), eq(signInEvents.result, "failure")));
    expect(failure).toMatchObject({ reason: "access_pass_refused", methods: ["tap"] });
  });

  it("pauses after repeated wrong passes, refusing even the right one (R-A11.2, R-A11.5)", async () => {
    const user = await newUser();
    const issued = await issue(user.id);
    for (let i = 0; i < 10; i++) {
      expect(await signIn(user.email, `ABCD-EFGH-JKMN-PQRS-${String(i).padStart(4, "0")}`)).toEqual(
        { ok: false },
      );
    }
    expect(await signIn(user.email, issued.pass)).toEqual({ ok: false });
    const denied = await database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "auth.access_pass.failed"), eq(auditLog.outcome, "denied")));
    expect(denied.some((r) => r.subjectId === user.id)).toBe(true);
    // Still unused: once the pause is over, it works.
    expect((await getActiveAccessPass(database.db, user.id))?.id).toBe(issued.id);
  });

  it("audits the pause when it starts and tells the owner once (R-A11.5, R-A15.1)", async () => {
    const user = await newUser();
    await issue(user.id);
    const ip = "192.0.2.61";
    for (let i = 0; i < 11; i++) {
      await signIn(user.email, `ABCD-EFGH-JKMN-PQRS-${String(i).padStart(4, "0")}`, ip);
    }
    const lockouts = await database.db
      .select({ details: auditLog.details })
      .from(auditLog)
      .where(and(eq(auditLog.action, "auth.sign_in.locked_out"), eq(auditLog.subjectId, user.id)));
    expect(lockouts).toEqual([
      { details: expect.objectContaining({ scope: "account", purpose: "access_pass" }) },
    ]);
    const told = await database.db
      .select({ subject: outbox.subject })
      .from(outbox)
      .where(eq(outbox.recipient, user.email));
    expect(told.map((m) => m.subject)).toEqual([
      "Temporary Access Pass paused after wrong attempts",
    ]);
  });
});
