import { and, desc, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { importTokens } from "@/lib/admin/hardware-tokens";
import { verifyPasswordStep } from "@/lib/auth/password-step";
import { advanceSignInTransaction, getSignInTransaction } from "@/lib/auth/sign-in-transaction";
import { updateSettings } from "@/lib/admin/settings";
import { completeSignIn } from "@/lib/auth/sign-in";
import { auditLog, hardwareTokens, mfaMethods, outbox, sessions } from "@/lib/db/schema";
import { refreshSettings } from "@/lib/settings/store";
import { openBody } from "@/lib/notify/message-body";
import { getThrottle } from "@/lib/security/throttle";
import { accepted } from "@/lib/testing/enrolment";
import { createTestDatabase } from "@/lib/testing/test-database";
import {
  beginAuthenticatorEnrolment,
  confirmAuthenticatorEnrolment,
  getPendingEnrolment,
} from "@/lib/mfa/authenticator-app";
import { confirmEnrolment, type Enrolee } from "./enrolment";
import { activateHardwareToken } from "@/lib/mfa/hardware-token";
import { sendPhoneChallenge } from "@/lib/mfa/phone-challenges";
import {
  activatePhone,
  beginPhoneEnrolment,
  confirmPhoneEnrolment,
  enrolmentBinding,
} from "@/lib/mfa/phone-enrolment";
import { maskPhone } from "@/lib/mfa/phone-numbers";
import { totpCode } from "@/lib/mfa/totp";
import { createTestUser } from "@/lib/testing/users";
import { clock } from "@/lib/clock";
import { pinClock } from "@/lib/testing/clock";

// The use case behind every "add a sign-in method" page: what a person sees is the result, what
// is left behind is the methods, the audit log, the outbox and the throttle — checked here.

const request = {
  context: { ip: "192.0.2.61", userAgent: "vitest" },
  browser: { stayChoice: null },
};
const TOKEN_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const BINDING_ID = "session:enrolment-test";

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let adminId: string;
let counter = 0;

beforeAll(async () => {
  database = await createTestDatabase();
  ({ id: adminId } = await createTestUser(database.db, {
    email: "token-admin@example.edu",
    displayName: "Token Admin",
    role: "admin",
  }));
});
afterAll(async () => {
  await database.dispose();
});

// Time stands still in each test: a code made for "now" is checked in the same 30-second step.
beforeEach(() => {
  pinClock();
});
beforeEach(() => {
  // Texts a test can send without waiting.
  process.env.PHONE_SEND_INTERVAL_SECONDS = "0";
  (globalThis as { __factorEnv?: unknown }).__factorEnv = undefined;
});

/** The password step of a first sign-in, which then waits at registration. */
async function passwordStep(person: { user: { email: string }; password: string }) {
  const signIn = await verifyPasswordStep(
    database.db,
    { email: person.user.email, password: person.password, callbackPath: "/" },
    request.context,
  );
  if (!signIn.ok) throw new Error("the password step failed");
  return signIn;
}

/** Registers an app as the first method mid-sign-in; returns the sign-in it has passed. */
async function firstMethodMidSignIn(person: { user: Enrolee["user"] }, transactionToken: string) {
  const secret = await pendingApp(person.user);
  const atRegistration = await getSignInTransaction(database.db, transactionToken);
  await confirmApp(
    { user: person.user, transaction: { transaction: atRegistration! } },
    await totpCode(secret),
  );
  return (await getSignInTransaction(database.db, transactionToken))!;
}

async function newPerson(options: { mfaRequired?: boolean } = {}) {
  counter += 1;
  const email = `enrolee${counter}@example.edu`;
  const { id, password } = await createTestUser(database.db, {
    email,
    displayName: "Pat Enrol",
    role: "user",
    mfaRequired: options.mfaRequired ?? false,
  });
  return { user: { id, email, displayName: "Pat Enrol" }, password };
}

/** Starts an authenticator app for the person; returns the secret the app would scan. */
async function pendingApp(user: Enrolee["user"]): Promise<string> {
  accepted(await beginAuthenticatorEnrolment(database.db, user.id, "Phone"));
  const pending = await getPendingEnrolment(database.db, user.id, {
    issuer: "Example",
    account: user.email,
  });
  return pending!.secret;
}

function confirmApp(enrolee: Enrolee, answer: string | null) {
  return confirmEnrolment(database.db, {
    enrolee,
    kind: "authenticator_app",
    proof: "code",
    answer,
    confirm: (tx, code) => confirmAuthenticatorEnrolment(tx, enrolee.user.id, code),
    ...request,
  });
}

/** A code the secret does not show now, nor one step either side. */
async function wrongCode(secret: string): Promise<string> {
  const near = await Promise.all(
    [-30_000, 0, 30_000].map((offset) => totpCode(secret, new Date(clock.ms() + offset))),
  );
  return ["000000", "111111", "222222", "333333"].find((code) => !near.includes(code))!;
}

const ENROLMENT_ACTIONS = [
  "mfa.method.added",
  "mfa.phone.changed",
  "mfa.hardware_token.activated",
] as const;

/** What an enrolment left behind for a person: its records, not the account's creation. */
async function traces(userId: string) {
  const { db } = database;
  const methods = await db
    .select({ kind: mfaMethods.kind, status: mfaMethods.status })
    .from(mfaMethods)
    .where(eq(mfaMethods.userId, userId));
  const audit = await db
    .select({ action: auditLog.action, outcome: auditLog.outcome, details: auditLog.details })
    .from(auditLog)
    .where(and(eq(auditLog.subjectId, userId), inArray(auditLog.action, ENROLMENT_ACTIONS)));
  const mail = await db
    .select({ channel: outbox.channel, recipient: outbox.recipient, subject: outbox.subject })
    .from(outbox)
    .where(eq(outbox.userId, userId));
  const { failures } = await getThrottle(db, "mfa:option", `${userId}:enrol`);
  return { methods, audit, mail, failures };
}

describe("confirming an enrolment", () => {
  it("activates the method, audits it and queues the notice together (R-A9.3)", async () => {
    const { user } = await newPerson();
    const secret = await pendingApp(user);

    const result = await confirmApp({ user }, await totpCode(secret));

    expect(result).toMatchObject({ ok: true });
    const methodId = result.ok ? result.value.methodId : "";
    const left = await traces(user.id);
    expect(left.methods).toEqual([{ kind: "authenticator_app", status: "active" }]);
    expect(left.audit).toEqual([
      {
        action: "mfa.method.added",
        outcome: "success",
        details: { kind: "authenticator_app", methodId },
      },
    ]);
    expect(left.mail).toEqual([
      { channel: "email", recipient: user.email, subject: "A sign-in method was added" },
    ]);
  });

  it("mid-sign-in, passes the sign-in's second factor with the new method (R-A9.2)", async () => {
    const person = await newPerson({ mfaRequired: true });
    const signIn = await passwordStep(person);
    const transaction = await getSignInTransaction(database.db, signIn.transactionToken);
    expect(transaction?.stage).toBe("registration");
    const secret = await pendingApp(person.user);

    const result = await confirmApp(
      { user: person.user, transaction: { transaction: transaction! } },
      await totpCode(secret),
    );

    expect(result).toMatchObject({ ok: true });
    const after = await getSignInTransaction(database.db, signIn.transactionToken);
    expect(after?.stage).not.toBe("registration");
    expect(after?.methods).toEqual(["pwd", "otp"]);
  });

  it("after the first method, binds a backup and leaves the passed sign-in as it is (R-A9.7)", async () => {
    const person = await newPerson({ mfaRequired: true });
    const signIn = await passwordStep(person);
    const passed = await firstMethodMidSignIn(person, signIn.transactionToken);

    const backup = await pendingApp(person.user);
    const result = await confirmApp(
      { user: person.user, transaction: { transaction: passed } },
      await totpCode(backup),
    );

    expect(result).toMatchObject({ ok: true });
    expect(await getSignInTransaction(database.db, signIn.transactionToken)).toEqual(passed);
    const left = await traces(person.user.id);
    expect(left.methods).toEqual([
      { kind: "authenticator_app", status: "active" },
      { kind: "authenticator_app", status: "active" },
    ]);
  });

  it("holds the session back while a backup the organisation requires is missing (R-A9.7)", async () => {
    const { db } = database;
    await updateSettings(
      db,
      { backup_method: "required" },
      { id: adminId, ...request.context, reason: "Backups for everyone" },
    );
    await refreshSettings(db);
    try {
      const person = await newPerson({ mfaRequired: true });
      const signIn = await passwordStep(person);
      const passed = await firstMethodMidSignIn(person, signIn.transactionToken);
      await advanceSignInTransaction(db, passed.id, passed.stage, "ready");

      // Whoever asks — the pages, or a request straight to the sign-in callback.
      expect(await completeSignIn(db, signIn.transactionToken, request.context)).toBeNull();
      const sessionsLeft = await db
        .select({ id: sessions.id })
        .from(sessions)
        .where(eq(sessions.userId, person.user.id));
      expect(sessionsLeft).toEqual([]);
    } finally {
      await updateSettings(
        db,
        { backup_method: null },
        { id: adminId, ...request.context, reason: "Back to the default" },
      );
      await refreshSettings(db);
    }
  });

  it("writes nothing at all when the sign-in moved on meanwhile: one transaction", async () => {
    const person = await newPerson({ mfaRequired: true });
    const signIn = await passwordStep(person);
    const transaction = (await getSignInTransaction(database.db, signIn.transactionToken))!;
    const secret = await pendingApp(person.user);
    // Another tab finished the registration step first.
    await advanceSignInTransaction(database.db, transaction.id, "registration", "stay_signed_in");

    await expect(
      confirmApp({ user: person.user, transaction: { transaction } }, await totpCode(secret)),
    ).rejects.toThrow(/moved on/);

    const left = await traces(person.user.id);
    expect(left.methods).toEqual([{ kind: "authenticator_app", status: "pending" }]);
    expect(left.audit.filter((a) => a.action === "mfa.method.added")).toEqual([]);
    expect(left.mail).toEqual([]);
  });

  it("counts a wrong code and changes nothing else (R-A11.1)", async () => {
    const { user } = await newPerson();
    const secret = await pendingApp(user);

    expect(await confirmApp({ user }, await wrongCode(secret))).toEqual({
      ok: false,
      reason: "wrong_code",
    });

    expect(await traces(user.id)).toEqual({
      methods: [{ kind: "authenticator_app", status: "pending" }],
      audit: [],
      mail: [],
      failures: 1,
    });
  });

  it("counts what is not a code at all, without checking it (R-A4.7)", async () => {
    const { user } = await newPerson();
    await pendingApp(user);

    expect(await confirmApp({ user }, null)).toEqual({ ok: false, reason: "malformed" });

    expect((await traces(user.id)).failures).toBe(1);
  });

  it("forgets earlier wrong codes once the right one is entered (R-A11.4)", async () => {
    const { user } = await newPerson();
    const secret = await pendingApp(user);
    await confirmApp({ user }, await wrongCode(secret));
    await confirmApp({ user }, null);
    expect((await traces(user.id)).failures).toBe(2);

    expect(await confirmApp({ user }, await totpCode(secret))).toMatchObject({ ok: true });

    expect((await traces(user.id)).failures).toBe(0);
  });

  it("while paused, refuses even the right code and changes nothing (R-A11.5)", async () => {
    const { user } = await newPerson();
    const secret = await pendingApp(user);
    // From the fifth wrong code in a row, a pause (R-A11.2).
    for (let i = 0; i < 5; i++) {
      expect(await confirmApp({ user }, await wrongCode(secret))).toMatchObject({
        reason: "wrong_code",
      });
    }
    const before = await traces(user.id);

    const result = await confirmApp({ user }, await totpCode(secret));

    expect(result).toMatchObject({ ok: false, reason: "throttled" });
    expect(result.ok ? 0 : result.retryAfterSeconds).toBeGreaterThan(0);
    expect(await traces(user.id)).toEqual(before);
    expect(before).toMatchObject({ methods: [{ status: "pending" }], audit: [], failures: 5 });
  });

  it("counts wrong codes per person whatever the kind: a new kind is no new budget (R-A11.3)", async () => {
    const { user } = await newPerson();
    const secret = await pendingApp(user);
    await confirmApp({ user }, await wrongCode(secret));

    const token = await assignedToken(user);

    expect(await activateToken(user, token, await wrongCode(TOKEN_SECRET))).toEqual({
      ok: false,
      reason: "wrong_code",
    });
    expect((await traces(user.id)).failures).toBe(2);
  });
});

/** Imports a token that names the person as its holder, as the helpdesk does; returns its id. */
async function assignedToken(user: Enrolee["user"]): Promise<string> {
  counter += 1;
  const serial = `E-${counter}`;
  const csv = ["upn,serial number,secret key", `${user.email},${serial},${TOKEN_SECRET}`].join(
    "\n",
  );
  const imported = await database.db.transaction((tx) =>
    importTokens(tx, csv, { id: adminId, ...request.context, reason: "Delivery" }),
  );
  expect(imported).toMatchObject({ ok: true });
  const [token] = await database.db
    .select({ id: hardwareTokens.id })
    .from(hardwareTokens)
    .where(eq(hardwareTokens.serialNumber, serial));
  return token!.id;
}

function activateToken(user: Enrolee["user"], tokenId: string, code: string | null) {
  return confirmEnrolment(database.db, {
    enrolee: { user },
    kind: "hardware_token",
    proof: "code",
    answer: code,
    confirm: (tx, answer) => activateHardwareToken(tx, user.id, tokenId, answer),
    ...request,
  });
}

/** Starts registering a phone in this test's registration; returns its method id. */
async function pendingPhone(user: Enrolee["user"], e164: string, replaces: string | null = null) {
  return accepted(
    await beginPhoneEnrolment(database.db, user.id, {
      kind: "mobile_phone",
      e164,
      extension: null,
      channel: "sms",
      replaces,
      bindingId: BINDING_ID,
    }),
  );
}

describe("phones", () => {
  it("records a change as one, and tells the old number by text (R-A5.5, R-A15.2)", async () => {
    const { user } = await newPerson();
    const [oldNumber, newNumber] = ["+447911100001", "+447911100002"];
    const old = await pendingPhone(user, oldNumber);
    await activatePhone(database.db, user.id, old);
    const changed = await pendingPhone(user, newNumber, old);
    const binding = enrolmentBinding(user.id, BINDING_ID);
    const sent = await sendPhoneChallenge(
      database.db,
      user,
      binding,
      changed,
      "sms",
      request.context,
    );
    expect(sent.ok).toBe(true);
    const [text] = await database.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.recipient, newNumber), eq(outbox.channel, "sms")))
      .orderBy(desc(outbox.id))
      .limit(1);
    const code = /(\d{6})/.exec(openBody(text!)!)![1]!;

    const result = await confirmEnrolment(database.db, {
      enrolee: { user },
      kind: "mobile_phone",
      proof: "sms",
      answer: code,
      confirm: (tx, answer) => confirmPhoneEnrolment(tx, binding, changed, { code: answer }),
      ...request,
    });

    expect(result).toMatchObject({ ok: true, value: { methodId: changed } });
    const left = await traces(user.id);
    expect(left.methods).toEqual([{ kind: "mobile_phone", status: "active" }]);
    expect(left.audit).toEqual([
      {
        action: "mfa.phone.changed",
        outcome: "success",
        details: { kind: "mobile_phone", methodId: changed, replaces: old },
      },
    ]);
    expect(left.mail).toEqual(
      expect.arrayContaining([
        { channel: "email", recipient: user.email, subject: "Your sign-in phone was changed" },
        { channel: "sms", recipient: oldNumber, subject: null },
      ]),
    );
    const [notice] = await database.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.userId, user.id), eq(outbox.channel, "email")));
    expect(openBody(notice!)).toContain(
      `${maskPhone(oldNumber)} was replaced by ${maskPhone(newNumber)}.`,
    );
  });

  it("audits a refused call instead of counting it: there is nothing to guess", async () => {
    const { user } = await newPerson();
    const methodId = await pendingPhone(user, "+447911100003");

    const result = await confirmEnrolment(database.db, {
      enrolee: { user },
      kind: "mobile_phone",
      proof: "voice",
      answer: "not-a-call",
      confirm: (tx, callId) =>
        confirmPhoneEnrolment(tx, enrolmentBinding(user.id, BINDING_ID), methodId, { callId }),
      ...request,
    });

    expect(result).toEqual({ ok: false, reason: "wrong_code" });
    expect(await traces(user.id)).toEqual({
      methods: [{ kind: "mobile_phone", status: "pending" }],
      audit: [
        {
          action: "mfa.method.added",
          outcome: "failure",
          details: { kind: "mobile_phone", reason: "wrong_code" },
        },
      ],
      mail: [],
      failures: 0,
    });
  });
});

describe("limits", () => {
  it("refuses a sixth code device, at the start and at activation, without counting it", async () => {
    const { user } = await newPerson();
    for (let device = 1; device <= 5; device++) {
      const secret = await pendingApp(user);
      expect(await confirmApp({ user }, await totpCode(secret))).toMatchObject({ ok: true });
    }
    expect(await beginAuthenticatorEnrolment(database.db, user.id, "Sixth")).toEqual({
      ok: false,
      reason: "limit_reached",
    });
    const token = await assignedToken(user);
    const before = await traces(user.id);

    expect(await activateToken(user, token, await totpCode(TOKEN_SECRET))).toEqual({
      ok: false,
      reason: "limit_reached",
    });

    expect(await traces(user.id)).toEqual(before);
    expect(before.methods).toHaveLength(5);
    expect(before.failures).toBe(0);
    const [row] = await database.db
      .select({ methodId: hardwareTokens.methodId })
      .from(hardwareTokens)
      .where(eq(hardwareTokens.id, token));
    expect(row!.methodId).toBeNull();
  });
});
