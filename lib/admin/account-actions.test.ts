import { and, eq, isNull } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createSession, resolveSession } from "@/lib/auth/sessions";
import { verifyPasswordStep } from "@/lib/auth/password-step";
import { type Role } from "@/lib/auth/users";
import {
  auditLog,
  authThrottles,
  hardwareTokens,
  mfaMethods,
  outbox,
  recoveryCodes,
  rememberedBrowsers,
  temporaryAccessPasses,
  users,
} from "@/lib/db/schema";
import {
  browserReference,
  isBrowserRemembered,
  rememberBrowser,
} from "@/lib/mfa/remembered-browser";
import { hashToken } from "@/lib/security/tokens";
import { createTestDatabase } from "@/lib/testing/test-database";
import { totpCode } from "@/lib/mfa/totp";
import {
  activateTokenFor,
  assignTokenTo,
  changeRole,
  deleteMethod,
  disableAccount,
  enableAccount,
  forgetBrowser,
  importTokensFor,
  issueAccessPassTo,
  requireReregister,
  resetPassword,
  revokeMfaSessions,
  signOutAllSessions,
  unlockAccount,
} from "./account-actions";
import { agentMayActOn, agentReasonSchema, parseAgentReason, type Agent } from "./agent-rules";
import { createTestUser } from "@/lib/testing/users";
import { clock } from "@/lib/clock";
import { pinClock } from "@/lib/testing/clock";

const context = { ip: "192.0.2.90", userAgent: "vitest" };
const why = { reason: "Caller verified by callback to the number on record", ticket: "INC-42" };
let database: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.dispose();
});

type Person = { id: string; email: string; displayName: string; password: string; role: Role };
let counter = 0;

async function person(role: Role = "user"): Promise<Person> {
  counter += 1;
  const email = `person${counter}.${role}@example.edu`;
  const displayName = `Person ${counter}`;
  const { id, password } = await createTestUser(database.db, { email, displayName, role });
  return { id, email, displayName, password, role };
}

function asAgent(p: Person): Agent {
  return {
    id: p.id,
    email: p.email,
    displayName: p.displayName,
    role: p.role as Agent["role"],
    sessionId: `session-of-${p.id}`,
  };
}

async function signedIn(userId: string): Promise<string> {
  return createSession(database.db, {
    userId,
    aal: 2,
    methods: ["pwd", "otp"],
    authenticatedAt: new Date(),
    secondFactorAt: new Date(),
    persistent: false,
    ip: "198.51.100.1",
    userAgent: "test",
  });
}

async function auditsOf(subjectId: string) {
  return database.db
    .select({
      action: auditLog.action,
      outcome: auditLog.outcome,
      actorId: auditLog.actorId,
      ip: auditLog.ip,
      details: auditLog.details,
    })
    .from(auditLog)
    .where(eq(auditLog.subjectId, subjectId));
}

async function noticesTo(userId: string) {
  return database.db
    .select({ subject: outbox.subject, body: outbox.body })
    .from(outbox)
    .where(eq(outbox.userId, userId));
}

async function addMethod(
  userId: string,
  isDefault = false,
  kind: "authenticator_app" | "mobile_phone" = "authenticator_app",
) {
  const [row] = await database.db
    .insert(mfaMethods)
    .values({
      userId,
      kind,
      label: `Device ${Math.random().toString(36).slice(2, 6)}`,
      status: "active",
      secretSealed: "sealed",
      isDefault,
    })
    .returning({ id: mfaMethods.id });
  return row!.id;
}

describe("who may act on whom", () => {
  const helpdesk: Agent = {
    id: "h",
    email: "h@x",
    displayName: "H",
    role: "helpdesk",
    sessionId: "s",
  };
  const admin: Agent = { id: "a", email: "a@x", displayName: "A", role: "admin", sessionId: "s" };

  /** The message an agent reads when refused, or null when allowed. */
  const refusalOf = (...args: Parameters<typeof agentMayActOn>) => {
    const permission = agentMayActOn(...args);
    return permission.ok ? null : permission.message;
  };

  it("keeps helpdesk agents off administrators, themselves and roles", () => {
    expect(agentMayActOn(helpdesk, { id: "a", role: "admin" }, "unlock")).toMatchObject({
      ok: false,
      reason: "not_allowed",
    });
    expect(refusalOf(helpdesk, { id: "u", role: "user" }, "reset_password")).toBeNull();
    expect(refusalOf(helpdesk, { id: "h2", role: "helpdesk" }, "unlock")).toBeNull();
    expect(refusalOf(helpdesk, { id: "a", role: "admin" }, "unlock")).toMatch(/administrator/);
    expect(refusalOf(helpdesk, { id: "h", role: "helpdesk" }, "sign_out_all")).toMatch(
      /own account/,
    );
    expect(refusalOf(helpdesk, { id: "u", role: "user" }, "change_role")).toMatch(
      /Only an administrator/,
    );
  });

  it("lets administrators act on anyone, but never issue themselves a pass or disable or demote themselves", () => {
    expect(refusalOf(admin, { id: "a2", role: "admin" }, "require_reregister")).toBeNull();
    expect(refusalOf(admin, { id: "u", role: "user" }, "change_role")).toBeNull();
    expect(refusalOf(admin, { id: "a", role: "admin" }, "sign_out_all")).toBeNull();
    expect(refusalOf(admin, { id: "a", role: "admin" }, "issue_pass")).toMatch(/yourself/);
    expect(refusalOf(admin, { id: "a", role: "admin" }, "disable")).toMatch(/own account/);
    expect(refusalOf(admin, { id: "a", role: "admin" }, "change_role")).toMatch(/own account/);
    expect(refusalOf(helpdesk, { id: "h", role: "helpdesk" }, "issue_pass")).toMatch(/yourself/);
  });

  it("asks for a reason of 3 to 500 characters and an optional ticket of at most 64", () => {
    const form = (fields: [string, string][]) => {
      const data = new FormData();
      for (const [k, v] of fields) data.append(k, v);
      return parseAgentReason(data);
    };
    expect(
      form([
        ["reason", "  Lost phone  "],
        ["ticket", ""],
      ]),
    ).toMatchObject({
      success: true,
      data: { reason: "Lost phone", ticket: undefined },
    });
    expect(form([["reason", "ok"]]).success).toBe(false);
    expect(form([["reason", "x".repeat(501)]]).success).toBe(false);
    expect(
      form([
        ["reason", "Lost phone"],
        ["ticket", "T".repeat(65)],
      ]).success,
    ).toBe(false);
    // Two reasons in one request are refused, not joined (R-A11.7).
    expect(
      form([
        ["reason", "Lost phone"],
        ["reason", "Another"],
      ]).success,
    ).toBe(false);
    expect(agentReasonSchema.safeParse({ reason: ["Lost phone"] }).success).toBe(false);
  });
});

describe("actions on an account", () => {
  let helpdesk: Person;
  let admin: Person;

  beforeAll(async () => {
    helpdesk = await person("helpdesk");
    admin = await person("admin");
  });

  it("require re-register MFA removes every method, code, token, session and remembered browser, and the next sign-in meets the wizard", async () => {
    const student = await person();
    await addMethod(student.id, true);
    await addMethod(student.id);
    await database.db.insert(recoveryCodes).values({ userId: student.id, codeHash: "h" });
    const [token] = await database.db
      .insert(hardwareTokens)
      .values({ serialNumber: `SN-${student.id}`, secretSealed: "sealed", userId: student.id })
      .returning({ id: hardwareTokens.id });
    const sessionToken = await signedIn(student.id);
    const browser = await rememberBrowser(database.db, student.id, 14, "test");

    const result = await requireReregister(
      database.db,
      asAgent(helpdesk),
      student.id,
      why,
      context,
    );
    expect(result).toEqual({ ok: true, value: undefined });

    expect(
      await database.db.select().from(mfaMethods).where(eq(mfaMethods.userId, student.id)),
    ).toEqual([]);
    expect(
      await database.db.select().from(recoveryCodes).where(eq(recoveryCodes.userId, student.id)),
    ).toEqual([]);
    const [unassigned] = await database.db
      .select({ userId: hardwareTokens.userId, methodId: hardwareTokens.methodId })
      .from(hardwareTokens)
      .where(eq(hardwareTokens.id, token!.id));
    expect(unassigned).toEqual({ userId: null, methodId: null });
    expect(await resolveSession(database.db, sessionToken)).toBeNull();
    expect(await isBrowserRemembered(database.db, student.id, browser)).toBe(false);

    const audits = await auditsOf(student.id);
    expect(audits).toContainEqual({
      action: "admin.mfa.reregister_required",
      outcome: "success",
      actorId: helpdesk.id,
      ip: context.ip,
      details: expect.objectContaining({
        reason: why.reason,
        ticket: "INC-42",
        methodsRemoved: 2,
        recoveryCodesRemoved: 1,
        tokensUnassigned: 1,
        sessionsRevoked: 1,
      }),
    });
    const notices = await noticesTo(student.id);
    expect(notices.map((n) => n.subject)).toContain("The helpdesk reset your sign-in methods");
    expect(notices.find((n) => n.subject?.includes("reset your sign-in"))!.body).toContain(
      "INC-42",
    );

    const next = await verifyPasswordStep(
      database.db,
      { email: student.email, password: student.password, callbackPath: "/" },
      context,
    );
    expect(next).toMatchObject({ ok: true, stage: "registration" });
  });

  it("refuses a helpdesk agent acting on an administrator or on themselves, changes nothing and records the refusal", async () => {
    const otherAdmin = await person("admin");
    await addMethod(otherAdmin.id, true);
    const refused = await requireReregister(
      database.db,
      asAgent(helpdesk),
      otherAdmin.id,
      why,
      context,
    );
    expect(refused).toMatchObject({ ok: false, reason: "refused" });
    expect(
      await database.db.select().from(mfaMethods).where(eq(mfaMethods.userId, otherAdmin.id)),
    ).toHaveLength(1);
    expect(await auditsOf(otherAdmin.id)).toContainEqual(
      expect.objectContaining({ action: "admin.mfa.reregister_required", outcome: "denied" }),
    );
    expect(await noticesTo(otherAdmin.id)).toEqual([]);

    const self = await signOutAllSessions(
      database.db,
      asAgent(helpdesk),
      helpdesk.id,
      why,
      context,
    );
    expect(self).toMatchObject({ ok: false, reason: "refused" });
    expect(
      await resetPassword(
        database.db,
        asAgent(helpdesk),
        "00000000-0000-4000-8000-000000000000",
        why,
        context,
      ),
    ).toMatchObject({ ok: false, reason: "missing" });
  });

  it("reset password: the old one fails, the temporary one works and must be changed; sessions end", async () => {
    const student = await person();
    await addMethod(student.id, true);
    const sessionToken = await signedIn(student.id);
    await database.db.insert(authThrottles).values({
      scope: "password:account",
      key: student.email,
      failures: 5,
      lockedUntil: new Date(Date.now() + 600_000),
    });
    const result = await resetPassword(database.db, asAgent(admin), student.id, why, context);
    if (!result.ok) throw new Error(result.message);
    const temporary = result.value.temporaryPassword;
    expect(temporary).toHaveLength(20);
    expect(await resolveSession(database.db, sessionToken)).toBeNull();
    const [row] = await database.db
      .select({ mustChangePassword: users.mustChangePassword })
      .from(users)
      .where(eq(users.id, student.id));
    expect(row!.mustChangePassword).toBe(true);
    const signIn = (password: string) =>
      verifyPasswordStep(
        database.db,
        { email: student.email, password, callbackPath: "/" },
        context,
      );
    expect(await signIn(student.password)).toEqual({ ok: false });
    expect(await signIn(temporary)).toMatchObject({ ok: true, stage: "second_factor" });
    // The temporary password is shown once, never recorded.
    const audits = JSON.stringify(await auditsOf(student.id));
    const notices = JSON.stringify(await noticesTo(student.id));
    expect(audits).not.toContain(temporary);
    expect(notices).not.toContain(temporary);
    expect(audits).toContain("admin.password.reset");
  });

  it("reset password forgets every remembered browser: the new password still needs the second factor there", async () => {
    const student = await person();
    await addMethod(student.id, true);
    const browser = await rememberBrowser(database.db, student.id, 14, "attacker's browser");
    const asBrowser = (password: string) =>
      verifyPasswordStep(
        database.db,
        { email: student.email, password, callbackPath: "/" },
        context,
        { stayChoice: true, rememberedToken: browser },
      );
    expect(await asBrowser(student.password)).toMatchObject({ ok: true, stage: "ready" });

    const result = await resetPassword(database.db, asAgent(admin), student.id, why, context);
    if (!result.ok) throw new Error(result.message);

    expect(await isBrowserRemembered(database.db, student.id, browser)).toBe(false);
    expect(
      await database.db
        .select({ id: rememberedBrowsers.id })
        .from(rememberedBrowsers)
        .where(
          and(eq(rememberedBrowsers.userId, student.id), isNull(rememberedBrowsers.revokedAt)),
        ),
    ).toEqual([]);
    // Whoever holds the temporary password is asked for the second factor on that browser too.
    expect(await asBrowser(result.value.temporaryPassword)).toMatchObject({
      ok: true,
      stage: "second_factor",
    });
    expect(await auditsOf(student.id)).toContainEqual(
      expect.objectContaining({
        action: "admin.password.reset",
        outcome: "success",
        details: expect.objectContaining({ sessionsRevoked: 0, browsersForgotten: 1 }),
      }),
    );
  });

  it("unlock clears the password, pass and second-step counters of that account only", async () => {
    const student = await person();
    const bystander = await person();
    const lock = { failures: 10, lockedUntil: new Date(Date.now() + 600_000) };
    await database.db.insert(authThrottles).values([
      { scope: "password:account", key: student.email, ...lock },
      { scope: "access_pass:account", key: student.email, ...lock },
      { scope: "mfa:account", key: student.id, ...lock },
      { scope: "mfa:option", key: `${student.id}:code`, ...lock },
      { scope: "mfa:option", key: `${student.id}:enrol`, ...lock },
      { scope: "mfa:account", key: bystander.id, ...lock },
      { scope: "password:ip", key: "198.51.100.7", ...lock },
    ]);
    const result = await unlockAccount(database.db, asAgent(helpdesk), student.id, why, context);
    expect(result.ok).toBe(true);
    const left = await database.db
      .select({ scope: authThrottles.scope, key: authThrottles.key })
      .from(authThrottles);
    expect(left).not.toContainEqual(expect.objectContaining({ key: student.email }));
    expect(left.filter((r) => r.key.startsWith(student.id))).toEqual([]);
    expect(left).toContainEqual({ scope: "mfa:account", key: bystander.id });
    expect(left).toContainEqual({ scope: "password:ip", key: "198.51.100.7" });
    expect(await auditsOf(student.id)).toContainEqual(
      expect.objectContaining({
        action: "admin.account.unlocked",
        details: expect.objectContaining({ countersCleared: 5, wasLocked: true }),
      }),
    );
  });

  it("disable ends every session and refuses sign-in; enable lets the person back", async () => {
    const student = await person();
    const sessionToken = await signedIn(student.id);
    await rememberBrowser(database.db, student.id, 14, "test");
    expect(
      (await disableAccount(database.db, asAgent(helpdesk), student.id, why, context)).ok,
    ).toBe(true);
    expect(await resolveSession(database.db, sessionToken)).toBeNull();
    expect(
      await database.db
        .select()
        .from(rememberedBrowsers)
        .where(
          and(eq(rememberedBrowsers.userId, student.id), isNull(rememberedBrowsers.revokedAt)),
        ),
    ).toEqual([]);
    const signIn = () =>
      verifyPasswordStep(
        database.db,
        { email: student.email, password: student.password, callbackPath: "/" },
        context,
      );
    expect(await signIn()).toEqual({ ok: false });
    expect(
      await disableAccount(database.db, asAgent(helpdesk), student.id, why, context),
    ).toMatchObject({ ok: false, reason: "refused" });
    expect((await enableAccount(database.db, asAgent(helpdesk), student.id, why, context)).ok).toBe(
      true,
    );
    expect(await signIn()).toMatchObject({ ok: true });
    expect((await noticesTo(student.id)).map((n) => n.subject)).toEqual(
      expect.arrayContaining(["Your account was disabled", "Your account was enabled"]),
    );
  });

  it("revoke MFA sessions forgets remembered browsers but keeps sessions; sign out all ends sessions", async () => {
    const student = await person();
    const sessionToken = await signedIn(student.id);
    const browser = await rememberBrowser(database.db, student.id, 14, "test");
    await revokeMfaSessions(database.db, asAgent(helpdesk), student.id, why, context);
    expect(await isBrowserRemembered(database.db, student.id, browser)).toBe(false);
    expect(await resolveSession(database.db, sessionToken)).not.toBeNull();
    await signOutAllSessions(database.db, asAgent(helpdesk), student.id, why, context);
    expect(await resolveSession(database.db, sessionToken)).toBeNull();
  });

  it("forgets one remembered browser of that account with a reason; another account's is refused and stays", async () => {
    const student = await person();
    const other = await person();
    const laptop = await rememberBrowser(database.db, student.id, 14, "laptop");
    const tablet = await rememberBrowser(database.db, student.id, 14, "tablet");
    const theirs = await rememberBrowser(database.db, other.id, 14, "theirs");
    const reference = (token: string) => browserReference(hashToken(token));

    expect(
      await forgetBrowser(
        database.db,
        asAgent(helpdesk),
        student.id,
        reference(theirs),
        why,
        context,
      ),
    ).toMatchObject({
      ok: false,
      reason: "refused",
      message: "That browser is no longer remembered.",
    });
    expect(await isBrowserRemembered(database.db, other.id, theirs)).toBe(true);
    expect(await auditsOf(student.id)).toContainEqual(
      expect.objectContaining({ action: "admin.remembered_browser.forgotten", outcome: "denied" }),
    );

    expect(
      (
        await forgetBrowser(
          database.db,
          asAgent(helpdesk),
          student.id,
          reference(laptop),
          why,
          context,
        )
      ).ok,
    ).toBe(true);
    expect(await isBrowserRemembered(database.db, student.id, laptop)).toBe(false);
    expect(await isBrowserRemembered(database.db, student.id, tablet)).toBe(true);
    expect(await auditsOf(student.id)).toContainEqual(
      expect.objectContaining({
        action: "admin.remembered_browser.forgotten",
        outcome: "success",
        actorId: helpdesk.id,
        details: expect.objectContaining({
          browser: reference(laptop),
          reason: why.reason,
          ticket: why.ticket,
        }),
      }),
    );
    expect((await noticesTo(student.id)).map((n) => n.subject)).toContain(
      "The helpdesk forgot a remembered browser",
    );
  });

  it("deletes one method of that account only; another account's method id changes nothing", async () => {
    const student = await person();
    const other = await person();
    const first = await addMethod(student.id, true);
    const second = await addMethod(student.id);
    const foreign = await addMethod(other.id, true);
    expect(
      await deleteMethod(database.db, asAgent(helpdesk), student.id, foreign, why, context),
    ).toMatchObject({ ok: false, reason: "refused" });
    expect(
      await database.db.select().from(mfaMethods).where(eq(mfaMethods.id, foreign)),
    ).toHaveLength(1);
    expect(
      (await deleteMethod(database.db, asAgent(helpdesk), student.id, first, why, context)).ok,
    ).toBe(true);
    const left = await database.db
      .select({ id: mfaMethods.id, isDefault: mfaMethods.isDefault })
      .from(mfaMethods)
      .where(eq(mfaMethods.userId, student.id));
    expect(left).toEqual([{ id: second, isDefault: true }]);
  });

  it("rolls back the whole action when any part fails", async () => {
    const student = await person();
    await addMethod(student.id, true);
    const sessionToken = await signedIn(student.id);
    // An audit action the database cannot store makes the last write of the transaction fail.
    const broken = { reason: why.reason, ticket: "\u0000" };
    await expect(
      requireReregister(database.db, asAgent(admin), student.id, broken, context),
    ).rejects.toThrow();
    expect(
      await database.db.select().from(mfaMethods).where(eq(mfaMethods.userId, student.id)),
    ).toHaveLength(1);
    expect(await resolveSession(database.db, sessionToken)).not.toBeNull();
    expect(await noticesTo(student.id)).toEqual([]);
  });
});

describe("roles", () => {
  it("gives an agent role only to someone with a method that role may use (R-A5.6, R-A1.5)", async () => {
    const admin = await person("admin");
    const student = await person();
    await addMethod(student.id, true, "mobile_phone");
    for (const role of ["helpdesk", "admin"] as const) {
      expect(await changeRole(database.db, asAgent(admin), student.id, role, why, context)).toEqual(
        {
          ok: false,
          reason: "refused",
          message: expect.stringContaining("Text messages and calls don't count"),
        },
      );
    }
    const [unchanged] = await database.db
      .select({ role: users.role })
      .from(users)
      .where(eq(users.id, student.id));
    expect(unchanged!.role).toBe("user");
    expect(await noticesTo(student.id)).toEqual([]);
    // With an authenticator app as well, the role is given.
    await addMethod(student.id);
    expect(
      (await changeRole(database.db, asAgent(admin), student.id, "helpdesk", why, context)).ok,
    ).toBe(true);
  });

  it("administrators grant and revoke roles; the last active administrator cannot be demoted or disabled", async () => {
    // Start from a database with exactly two administrators.
    await database.db.update(users).set({ role: "user" }).where(eq(users.role, "admin"));
    const first = await person("admin");
    const second = await person("admin");
    const student = await person();
    await addMethod(student.id, true);

    expect(
      (await changeRole(database.db, asAgent(first), student.id, "helpdesk", why, context)).ok,
    ).toBe(true);
    const [promoted] = await database.db
      .select({ role: users.role })
      .from(users)
      .where(eq(users.id, student.id));
    expect(promoted!.role).toBe("helpdesk");

    // Two administrators demote each other at the same moment: only one may win.
    const results = await Promise.all([
      changeRole(database.db, asAgent(first), second.id, "user", why, context),
      changeRole(database.db, asAgent(second), first.id, "user", why, context),
    ]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok)[0]).toMatchObject({
      reason: "refused",
      message: expect.stringContaining("last active administrator"),
    });
    const admins = await database.db
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.role, "admin"), eq(users.status, "active")));
    expect(admins).toHaveLength(1);
    const remaining = admins[0]!.id === first.id ? first : second;

    expect(
      await disableAccount(
        database.db,
        asAgent({ ...student, role: "admin" }),
        remaining.id,
        why,
        context,
      ),
    ).toMatchObject({ ok: false, message: expect.stringContaining("last active administrator") });
    expect(await auditsOf(remaining.id)).toContainEqual(
      expect.objectContaining({ action: "admin.account.disabled", outcome: "denied" }),
    );
  });
});

describe("a pass and a token go through the same lock, judgement and audit", () => {
  it("issues a pass once to an active person, and refuses a disabled one with a recorded refusal", async () => {
    const agent = asAgent(await person("helpdesk"));
    const student = await person();
    const issued = await issueAccessPassTo(database.db, agent, student.id, why, context);
    expect(issued).toMatchObject({ ok: true, value: { until: expect.stringMatching(/ UTC$/) } });
    const pass = issued.ok ? issued.value.pass : "";
    expect(pass).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){4}$/);
    const audits = await auditsOf(student.id);
    expect(audits).toContainEqual(
      expect.objectContaining({ action: "admin.pass.issued", outcome: "success" }),
    );
    // The pass itself is never kept in the audit or the notice (R-A16.3).
    expect(JSON.stringify(audits)).not.toContain(pass);
    expect(JSON.stringify(await noticesTo(student.id))).not.toContain(pass);

    const disabled = await person();
    await disableAccount(database.db, asAgent(await person("admin")), disabled.id, why, context);
    expect(await issueAccessPassTo(database.db, agent, disabled.id, why, context)).toEqual({
      ok: false,
      reason: "refused",
      message: "The account is disabled: enable it first.",
    });
    expect(await auditsOf(disabled.id)).toContainEqual(
      expect.objectContaining({
        action: "admin.pass.issued",
        outcome: "denied",
        details: expect.objectContaining({ refused: "The account is disabled: enable it first." }),
      }),
    );
    expect(
      await database.db
        .select()
        .from(temporaryAccessPasses)
        .where(eq(temporaryAccessPasses.userId, disabled.id)),
    ).toEqual([]);
  });

  it("gives a token to one person only: the second agent's assignment is refused and recorded (R-A4.6, R-A16.4)", async () => {
    const [token] = await database.db
      .insert(hardwareTokens)
      .values({ serialNumber: `T-${counter}-race`, secretSealed: "sealed", periodSeconds: 30 })
      .returning({ id: hardwareTokens.id });
    const first = await person();
    const second = await person();
    const agent = asAgent(await person("helpdesk"));
    const results = await Promise.all([
      assignTokenTo(database.db, agent, first.id, token!.id, why, context),
      assignTokenTo(database.db, agent, second.id, token!.id, why, context),
    ]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.find((r) => !r.ok)).toEqual({
      ok: false,
      reason: "refused",
      message: "That token is no longer available.",
    });
    const [row] = await database.db
      .select({ userId: hardwareTokens.userId })
      .from(hardwareTokens)
      .where(eq(hardwareTokens.id, token!.id));
    const holder = row!.userId === first.id ? first : second;
    const other = holder === first ? second : first;
    const assignments = async (userId: string) =>
      (await auditsOf(userId)).filter((a) => a.action === "admin.token.assigned");
    expect(await assignments(other.id)).toEqual([
      expect.objectContaining({
        outcome: "denied",
        details: expect.objectContaining({ refused: "That token is no longer available." }),
      }),
    ]);
    expect(await noticesTo(other.id)).toEqual([]);
    expect(await assignments(holder.id)).toEqual([expect.objectContaining({ outcome: "success" })]);
  });
});

describe("a token the helpdesk activates for its holder", () => {
  const SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
  const WRONG = "That code didn't work. Ask for the code the token shows now.";
  // Time stands still in each test: a code made for "now" is checked in the same step.
  beforeEach(() => {
    pinClock();
  });

  /** A code the token does not show now, nor one step either side. */
  async function wrongCode(): Promise<string> {
    const near = await Promise.all(
      [-30_000, 0, 30_000].map((offset) => totpCode(SECRET, new Date(clock.ms() + offset))),
    );
    return ["000000", "111111", "222222", "333333"].find((code) => !near.includes(code))!;
  }

  /** The vendor's file naming the holder, imported by an administrator; the token's id. */
  async function tokenFor(holder: Person): Promise<string> {
    const serial = `H-${holder.id.slice(0, 8)}`;
    const csv = `upn,serial number,secret key\n${holder.email},${serial},${SECRET}\n`;
    const admin = asAgent(await person("admin"));
    expect(await importTokensFor(database.db, admin, csv, why, context)).toMatchObject({
      ok: true,
      imported: 1,
    });
    const [token] = await database.db
      .select({ id: hardwareTokens.id })
      .from(hardwareTokens)
      .where(eq(hardwareTokens.serialNumber, serial));
    return token!.id;
  }

  it("an import that names a holder assigns the token on the record and tells the holder", async () => {
    const holder = await person();
    await tokenFor(holder);
    expect(await auditsOf(holder.id)).toContainEqual(
      expect.objectContaining({
        action: "admin.token.assigned",
        outcome: "success",
        details: expect.objectContaining({ imported: true, reason: why.reason }),
      }),
    );
    expect(await noticesTo(holder.id)).toHaveLength(1);
  });

  it("activates with the code the holder reads out: the agent and the reason are on the record (R-A16.2)", async () => {
    const holder = await person();
    const tokenId = await tokenFor(holder);
    const agent = asAgent(await person("helpdesk"));
    const result = await activateTokenFor(
      database.db,
      agent,
      tokenId,
      await totpCode(SECRET),
      why,
      context,
    );
    expect(result).toEqual({ ok: true, value: { serialNumber: `H-${holder.id.slice(0, 8)}` } });
    expect(await auditsOf(holder.id)).toContainEqual(
      expect.objectContaining({
        action: "mfa.hardware_token.activated",
        outcome: "success",
        actorId: agent.id,
        details: expect.objectContaining({ reason: why.reason, ticket: why.ticket }),
      }),
    );
    const bodies = (await noticesTo(holder.id)).map((n) => n.body).join("\n");
    expect(bodies).toContain("activated by the helpdesk");
    const methods = await database.db
      .select({ kind: mfaMethods.kind })
      .from(mfaMethods)
      .where(eq(mfaMethods.userId, holder.id));
    expect(methods).toEqual([{ kind: "hardware_token" }]);
  });

  it("counts wrong codes against the holder's budget: the console is no way around the pause (R-A11.3)", async () => {
    const holder = await person();
    const tokenId = await tokenFor(holder);
    const agent = asAgent(await person("helpdesk"));
    const activate = async (code: string) =>
      activateTokenFor(database.db, agent, tokenId, code, why, context);
    for (let i = 0; i < 4; i++) {
      expect(await activate(await wrongCode())).toEqual({
        ok: false,
        reason: "refused",
        message: WRONG,
      });
    }
    await activate(await wrongCode());
    // Paused: even the right code is not checked, and no method appears.
    expect(await activate(await totpCode(SECRET))).toEqual({
      ok: false,
      reason: "refused",
      message: "Too many wrong codes for this person lately. Try again in a few minutes.",
    });
    expect(
      await database.db.select().from(mfaMethods).where(eq(mfaMethods.userId, holder.id)),
    ).toEqual([]);
  });

  it("refuses a helpdesk agent a token held by an administrator, and records the refusal", async () => {
    const holder = await person("admin");
    await addMethod(holder.id, true);
    const tokenId = await tokenFor(holder);
    const agent = asAgent(await person("helpdesk"));
    const result = await activateTokenFor(
      database.db,
      agent,
      tokenId,
      await totpCode(SECRET),
      why,
      context,
    );
    expect(result).toMatchObject({ ok: false, reason: "refused" });
    expect(await auditsOf(holder.id)).toContainEqual(
      expect.objectContaining({ action: "admin.token.assigned", outcome: "denied" }),
    );
    const tokens = await database.db
      .select({ methodId: hardwareTokens.methodId })
      .from(hardwareTokens)
      .where(eq(hardwareTokens.id, tokenId));
    expect(tokens).toEqual([{ methodId: null }]);
  });
});
