import { and, eq, like } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { setRegistrationGrace } from "@/lib/admin/account-actions";
import type { Agent } from "@/lib/admin/agent-rules";
import type { Role } from "@/lib/auth/users";
import { auditLog, sessions, settings, signInEvents, users } from "@/lib/db/schema";
import { hashToken } from "@/lib/security/tokens";
import { refreshSettings } from "@/lib/settings/store";
import { pinClock } from "@/lib/testing/clock";
import { changeSettings } from "@/lib/testing/settings";
import { createTestDatabase } from "@/lib/testing/test-database";
import { createTestUser } from "@/lib/testing/users";
import { verifyPasswordStep } from "./password-step";
import {
  describeGrace,
  getRegistrationGrace,
  graceFor,
  postponeRegistration,
} from "./registration-grace";
import { completeSignIn, mustRegisterBeforePortal } from "./sign-in";
import { getSignInTransaction, type SignInTransaction } from "./sign-in-transaction";

const context = { ip: "198.51.100.40", userAgent: "vitest" };
const browser = { stayChoice: null };
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let admin: { id: string; email: string; displayName: string };
let counter = 0;

beforeAll(async () => {
  database = await createTestDatabase();
  const email = "grace-admin@example.edu";
  const { id } = await createTestUser(database.db, {
    email,
    displayName: "Grace Admin",
    role: "admin",
  });
  admin = { id, email, displayName: "Grace Admin" };
});
afterAll(async () => {
  await database.dispose();
});
beforeEach(async () => {
  await database.db.delete(settings);
  await refreshSettings(database.db);
});

/** A person who must register a method and has none, as every new account is. */
async function person(role: Role = "user", chosen = false) {
  counter += 1;
  const email = `grace${counter}.${role}@example.edu`;
  const { id, password } = await createTestUser(database.db, {
    email,
    displayName: `Grace ${counter}`,
    role,
  });
  if (chosen)
    await database.db.update(users).set({ registrationGrace: true }).where(eq(users.id, id));
  return { id, email, password, role };
}

/** The password step; the sign-in waits at "More information required". */
async function signIn(account: { email: string; password: string }) {
  const result = await verifyPasswordStep(
    database.db,
    { email: account.email, password: account.password, callbackPath: "/" },
    context,
    browser,
  );
  if (!result.ok) throw new Error("password refused");
  expect(result.stage).toBe("registration");
  const transaction = (await getSignInTransaction(database.db, result.transactionToken))!;
  return { token: result.transactionToken, transaction };
}

const grace = (change: Parameters<typeof changeSettings>[2]) =>
  changeSettings(database.db, admin.id, change);

const postponements = async (id: string) =>
  (
    await database.db
      .select({ n: users.registrationPostponements })
      .from(users)
      .where(eq(users.id, id))
  )[0]!.n;

describe("the rule", () => {
  const policy = { postponements: 2, until: "2027-01-31", roles: ["user"] };
  const user = { role: "user", registrationGrace: false, registrationPostponements: 0 };

  it("counts down, ends on the last day, and is off with neither a count nor a day", () => {
    expect(graceFor(policy, user, "2027-01-01")).toEqual({ left: 2, until: "2027-01-31" });
    expect(graceFor(policy, { ...user, registrationPostponements: 1 }, "2027-01-31")).toEqual({
      left: 1,
      until: "2027-01-31",
    });
    expect(graceFor(policy, { ...user, registrationPostponements: 2 }, "2027-01-01")).toBeNull();
    expect(graceFor(policy, user, "2027-02-01")).toBeNull();
    expect(graceFor({ ...policy, until: null }, user, "2099-01-01")).toEqual({
      left: 2,
      until: null,
    });
    expect(
      graceFor(
        { ...policy, postponements: null },
        { ...user, registrationPostponements: 40 },
        "2027-01-31",
      ),
    ).toEqual({ left: null, until: "2027-01-31" });
    expect(
      graceFor({ ...policy, postponements: null, until: null }, user, "2027-01-01"),
    ).toBeNull();
  });

  it("is for the chosen roles or the chosen people, and never for agents (R-A16.1)", () => {
    const byRoleOff = { ...policy, roles: [] };
    expect(graceFor(byRoleOff, user, "2027-01-01")).toBeNull();
    expect(graceFor(byRoleOff, { ...user, registrationGrace: true }, "2027-01-01")).not.toBeNull();
    const everyone = { ...policy, roles: ["user", "helpdesk", "admin"] };
    for (const role of ["helpdesk", "admin"]) {
      expect(
        graceFor(everyone, { ...user, role, registrationGrace: true }, "2027-01-01"),
      ).toBeNull();
    }
  });

  it("says what is left in words", () => {
    expect(describeGrace({ left: 2, until: null })).toBe("You can postpone this 2 more times.");
    expect(describeGrace({ left: 1, until: null })).toBe("You can postpone this 1 more time.");
    expect(describeGrace({ left: null, until: "2027-01-31" })).toBe(
      "You can postpone this until 31 January 2027.",
    );
    expect(describeGrace({ left: 2, until: "2027-01-31" })).toBe(
      "You can postpone this 2 more times, until 31 January 2027.",
    );
  });
});

describe("Ask me later", () => {
  it("is not offered while the grace period is off (the default)", async () => {
    const account = await person("user", true);
    const { transaction } = await signIn(account);
    expect(await getRegistrationGrace(database.db, transaction)).toBeNull();
    expect(await postponeRegistration(database.db, transaction, context)).toBeNull();
    expect(await postponements(account.id)).toBe(0);
  });

  it("lets a user sign in with the password alone twice, recorded, then requires registration", async () => {
    await grace({ registration_grace_postponements: 2, registration_grace_roles: ["user"] });
    const account = await person();

    for (const left of [2, 1]) {
      const { token, transaction } = await signIn(account);
      expect(await getRegistrationGrace(database.db, transaction)).toEqual({ left, until: null });
      const next = await postponeRegistration(database.db, transaction, context);
      // Never "Stay signed in?": the postponement lasts one ordinary session.
      expect(next).toEqual({ stage: "ready", persistent: false });
      // Once per sign-in: a second press of the button finds it moved on.
      expect(await postponeRegistration(database.db, transaction, context)).toBeNull();
      const [event] = await database.db
        .select({ result: signInEvents.result, reason: signInEvents.reason })
        .from(signInEvents)
        .where(eq(signInEvents.transactionId, hashToken(token)));
      expect(event).toEqual({ result: "interrupted", reason: "registration_postponed" });
    }
    expect(await postponements(account.id)).toBe(2);

    const audits = await database.db
      .select({ details: auditLog.details, actorId: auditLog.actorId })
      .from(auditLog)
      .where(
        and(eq(auditLog.action, "auth.registration.postponed"), eq(auditLog.subjectId, account.id)),
      );
    expect(audits.map((a) => a.details)).toEqual([
      expect.objectContaining({ postponements: 1, left: 1 }),
      expect.objectContaining({ postponements: 2, left: 0 }),
    ]);
    expect(audits.every((a) => a.actorId === account.id)).toBe(true);

    const { transaction } = await signIn(account);
    expect(await getRegistrationGrace(database.db, transaction)).toBeNull();
    expect(await postponeRegistration(database.db, transaction, context)).toBeNull();
    expect((await getSignInTransaction(database.db, (await signIn(account)).token))?.stage).toBe(
      "registration",
    );
  });

  it("finishes as a password-only sign-in (AAL1) that the portal lets in, its event saying it was postponed", async () => {
    await grace({ registration_grace_postponements: 3, registration_grace_roles: ["user"] });
    const account = await person();
    const { token, transaction } = await signIn(account);
    const next = await postponeRegistration(database.db, transaction, context);
    expect(next).toEqual({ stage: "ready", persistent: false });
    expect(await completeSignIn(database.db, token, context)).not.toBeNull();
    const [session] = await database.db
      .select({ aal: sessions.aal, methods: sessions.methods })
      .from(sessions)
      .where(eq(sessions.userId, account.id));
    expect(session).toEqual({ aal: 1, methods: ["pwd", "postponed"] });
    expect(mustRegisterBeforePortal(session!, true, 0)).toBe(false);
    expect(mustRegisterBeforePortal({ methods: ["pwd"] }, true, 0)).toBe(true);
    const events = await database.db
      .select({ result: signInEvents.result, reason: signInEvents.reason })
      .from(signInEvents)
      .where(eq(signInEvents.userId, account.id));
    expect(events).toEqual([{ result: "success", reason: "registration_postponed" }]);
  });

  it("ends after the last day (UTC), whatever is left of the count", async () => {
    const clock = pinClock(Date.parse("2027-01-31T23:59:00Z"));
    await grace({ registration_grace_until: "2027-01-31", registration_grace_roles: ["user"] });
    const account = await person();
    const first = await signIn(account);
    expect(await getRegistrationGrace(database.db, first.transaction)).toEqual({
      left: null,
      until: "2027-01-31",
    });
    clock.advance(2 * 60_000);
    expect(await getRegistrationGrace(database.db, first.transaction)).toBeNull();
    expect(await postponeRegistration(database.db, first.transaction, context)).toBeNull();
  });

  it("is for chosen people when their role is not chosen", async () => {
    await grace({ registration_grace_postponements: 1 });
    const chosen = await person("user", true);
    const other = await person("user");
    expect(await getRegistrationGrace(database.db, (await signIn(chosen)).transaction)).toEqual({
      left: 1,
      until: null,
    });
    expect(await getRegistrationGrace(database.db, (await signIn(other)).transaction)).toBeNull();
  });

  it("is never for helpdesk or admin accounts, even chosen and with their role picked", async () => {
    await grace({
      registration_grace_postponements: 5,
      registration_grace_roles: ["user", "helpdesk", "admin"],
    });
    for (const role of ["helpdesk", "admin"] as const) {
      const agent = await person(role, true);
      const { transaction } = await signIn(agent);
      expect(await getRegistrationGrace(database.db, transaction)).toBeNull();
      expect(await postponeRegistration(database.db, transaction, context)).toBeNull();
      expect(await postponements(agent.id)).toBe(0);
    }
  });

  it("is refused for a risky sign-in, and for a Temporary Access Pass sign-in", async () => {
    await grace({ registration_grace_postponements: 2, registration_grace_roles: ["user"] });
    const account = await person();
    const { token, transaction } = await signIn(account);
    await database.db
      .update(signInEvents)
      .set({ riskLevel: "medium" })
      .where(eq(signInEvents.transactionId, hashToken(token)));
    expect(await getRegistrationGrace(database.db, transaction)).toBe("risky");
    expect(await postponeRegistration(database.db, transaction, context)).toBeNull();

    const withPass: SignInTransaction = { ...transaction, methods: ["tap"] };
    expect(await getRegistrationGrace(database.db, withPass)).toBeNull();
    expect(await postponements(account.id)).toBe(0);
  });

  it("never postpones more than allowed, even from parallel sign-ins", async () => {
    await grace({ registration_grace_postponements: 1, registration_grace_roles: ["user"] });
    const account = await person();
    const attempts = await Promise.all([signIn(account), signIn(account), signIn(account)]);
    const results = await Promise.all(
      attempts.map(({ transaction }) => postponeRegistration(database.db, transaction, context)),
    );
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect(await postponements(account.id)).toBe(1);
    const stages = await Promise.all(
      attempts.map(async ({ token }) => (await getSignInTransaction(database.db, token))?.stage),
    );
    expect(stages.filter((s) => s === "registration")).toHaveLength(2);
  });
});

describe("choosing people on their page", () => {
  const agentOf = (a: typeof admin): Agent => ({ ...a, role: "admin", sessionId: "session" });
  const why = { reason: "Phone arrives next week", ticket: "INC-7" };

  it("sets and clears the flag, audited with the reason", async () => {
    const account = await person();
    expect(
      await setRegistrationGrace(database.db, agentOf(admin), account.id, true, why, context),
    ).toEqual({ ok: true, value: undefined });
    const again = await setRegistrationGrace(
      database.db,
      agentOf(admin),
      account.id,
      true,
      why,
      context,
    );
    expect(again.ok).toBe(false);
    expect(
      await setRegistrationGrace(database.db, agentOf(admin), account.id, false, why, context),
    ).toEqual({ ok: true, value: undefined });
    const records = await database.db
      .select({ action: auditLog.action, outcome: auditLog.outcome, details: auditLog.details })
      .from(auditLog)
      .where(and(eq(auditLog.subjectId, account.id), like(auditLog.action, "admin.%")));
    expect(records).toEqual([
      {
        action: "admin.registration_grace.allowed",
        outcome: "success",
        details: expect.objectContaining({ reason: why.reason, ticket: "INC-7" }),
      },
      { action: "admin.registration_grace.allowed", outcome: "denied", details: expect.anything() },
      {
        action: "admin.registration_grace.withdrawn",
        outcome: "success",
        details: expect.objectContaining({ reason: why.reason }),
      },
    ]);
  });

  it("refuses to choose a helpdesk or admin account, and records the refusal", async () => {
    const agent = await person("helpdesk");
    const refused = await setRegistrationGrace(
      database.db,
      agentOf(admin),
      agent.id,
      true,
      why,
      context,
    );
    expect(refused).toMatchObject({ ok: false, reason: "refused" });
    const [row] = await database.db
      .select({ chosen: users.registrationGrace })
      .from(users)
      .where(eq(users.id, agent.id));
    expect(row?.chosen).toBe(false);
    const [record] = await database.db
      .select({ outcome: auditLog.outcome })
      .from(auditLog)
      .where(and(eq(auditLog.subjectId, agent.id), like(auditLog.action, "admin.%")));
    expect(record?.outcome).toBe("denied");
  });
});
