import { and, eq } from "drizzle-orm";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { auditLog, oidcRecords, outbox, passwordResets } from "@/lib/db/schema";
import { clock } from "@/lib/clock";
import {
  beginAuthenticatorEnrolment,
  confirmAuthenticatorEnrolment,
  getPendingEnrolment,
} from "@/lib/mfa/authenticator-app";
import { regenerateRecoveryCodes } from "@/lib/mfa/recovery-codes";
import { isBrowserRemembered, rememberBrowser } from "@/lib/mfa/remembered-browser";
import { verifySecondFactor } from "@/lib/mfa/second-factor";
import { totpCode } from "@/lib/mfa/totp";
import { openBody } from "@/lib/notify/message-body";
import { getThrottle } from "@/lib/security/throttle";
import { hashToken } from "@/lib/security/tokens";
import { pinClock } from "@/lib/testing/clock";
import { addMobilePhone } from "@/lib/testing/people";
import { changeSettings, setUpSettingsTests } from "@/lib/testing/settings";
import type { TestDatabase } from "@/lib/testing/test-database";
import { createTestUser } from "@/lib/testing/users";
import {
  answerPasswordReset,
  beginPasswordReset,
  completePasswordReset,
  getPasswordReset,
  type PasswordReset,
  RESET_ANSWER_FLOOR_MS,
  RESET_ANSWER_LIMIT,
  resetOptionsLeft,
  sendPasswordResetTextCode,
} from "./password-reset";
import { verifyPasswordStep } from "./password-step";
import { createSession, resolveSession } from "./sessions";

// R-A2.8: a reset proves the person's methods, answers alike for every email, and signs in no one.

const context = { ip: "192.0.2.70", userAgent: "vitest" };
const NEW_PASSWORD = "violet harbour lantern seventeen";
const setup = setUpSettingsTests({ email: "reset-admin@example.edu", displayName: "Reset Admin" });
let database: TestDatabase;
let adminId: string;
beforeAll(() => {
  ({ database, adminId } = setup);
});
beforeEach(() => {
  pinClock();
});

const at = (step: number) => new Date(step * 30_000 + 1000);
const nowStep = () => Math.floor(clock.ms() / 30_000);

/** Someone with an authenticator app whose last code used was the step before now. */
async function personWithApp(name: string) {
  const { db } = database;
  const email = `${name}@example.edu`;
  const { id, password } = await createTestUser(db, { email, displayName: "Test", role: "user" });
  await beginAuthenticatorEnrolment(db, id, "Phone");
  const pending = await getPendingEnrolment(db, id, { issuer: "Example", account: email });
  const secret = pending!.secret;
  await confirmAuthenticatorEnrolment(db, id, await totpCode(secret, at(nowStep() - 1)));
  return { id, email, password, secret };
}

const requireMethods = (count: 0 | 1 | 2) =>
  changeSettings(database.db, adminId, { password_reset_methods: count });

/** "Finish" with a new password typed twice alike. */
const finish = (token: string, password = NEW_PASSWORD) =>
  completePasswordReset(
    database.db,
    token,
    { newPassword: password, confirmPassword: password },
    context,
  );

/** Answers a reset with the person's authenticator app's code for a moment, now by default. */
async function answerWithApp(
  reset: PasswordReset,
  person: { secret: string },
  at: Date = clock.now(),
) {
  return answerPasswordReset(
    database.db,
    reset,
    "code",
    await totpCode(person.secret, at),
    context,
  );
}

async function resetFor(email: string) {
  const token = await beginPasswordReset(database.db, email, context);
  return { token, reset: (await getPasswordReset(database.db, token))! };
}

describe("starting a reset", () => {
  it("makes a reset for an unknown email too, alike in every way the person can see", async () => {
    const known = await personWithApp("reset-known");
    const a = await resetFor(known.email);
    expect(a.reset.userId).toBe(known.id);
    const b = await resetFor("nobody-here@example.edu");
    // Two different methods unless an administrator chose otherwise.
    expect(a.reset.needed).toBe(2);
    expect(b.reset).toMatchObject({ verified: [], needed: 2 });
    expect(b.reset.userId).toBeNull();
    // A wrong code reads the same for both.
    expect(await answerPasswordReset(database.db, a.reset, "code", "000000", context)).toEqual(
      await answerPasswordReset(database.db, b.reset, "code", "000000", context),
    );
  });
});

describe("answering alike", () => {
  it("takes no less time for an unknown email than for an account whose recovery codes are checked", async () => {
    const { db } = database;
    const known = await personWithApp("reset-timing");
    const codes = await regenerateRecoveryCodes(db, known.id);
    // A code of the right form that is none of the account's: every stored hash is tried.
    const wrong = codes[0]!.replace(/[0-9a-z]/i, (c) => (c === "2" ? "3" : "2"));
    expect(codes).not.toContain(wrong);
    const timed = async (email: string) => {
      const { reset } = await resetFor(email);
      const started = performance.now();
      const answer = await answerPasswordReset(db, reset, "recovery-code", wrong, context);
      return { answer, ms: performance.now() - started };
    };
    const a = await timed(known.email);
    const b = await timed("reset-timing-nobody@example.edu");
    expect(a.answer).toEqual({ ok: false, reason: "wrong_answer" });
    expect(b.answer).toEqual(a.answer);
    // The floor hides the hashing: neither answer comes back sooner.
    expect(a.ms).toBeGreaterThanOrEqual(RESET_ANSWER_FLOOR_MS - 1);
    expect(b.ms).toBeGreaterThanOrEqual(RESET_ANSWER_FLOOR_MS - 1);
  });
});

describe("proving the methods", () => {
  it("a right code counts once; the new password then replaces the old and ends every session", async () => {
    const { db } = database;
    await requireMethods(1);
    const person = await personWithApp("reset-one");
    const session = await createSession(db, {
      userId: person.id,
      aal: 2,
      methods: ["pwd", "otp"],
      authenticatedAt: clock.now(),
      secondFactorAt: clock.now(),
      persistent: false,
      ...context,
    });
    const { token, reset } = await resetFor(person.email);

    // Not before a method has passed.
    expect(await finish(token)).toMatchObject({ ok: false, reason: "not_verified" });
    const answer = await answerWithApp(reset, person);
    expect(answer).toEqual({ ok: true, done: true });

    // A refused password changes nothing.
    const weak = await finish(token, "short");
    expect(weak).toMatchObject({ ok: false, reason: "password_refused" });
    expect(await resolveSession(db, session)).not.toBeNull();

    const done = await finish(token);
    expect(done).toEqual({ ok: true });
    expect(await resolveSession(db, session)).toBeNull();
    expect(await getPasswordReset(db, token)).toBeNull();
    // The new password opens only the first step: the second is asked as always.
    const signIn = await verifyPasswordStep(
      db,
      { email: person.email, password: NEW_PASSWORD, callbackPath: "/" },
      context,
    );
    expect(signIn).toMatchObject({ ok: true, stage: "second_factor" });
    expect(
      await verifyPasswordStep(
        db,
        { email: person.email, password: person.password, callbackPath: "/" },
        context,
      ),
    ).toMatchObject({ ok: false });
    // Audited, and the owner is told.
    const [audit] = await db
      .select({ details: auditLog.details })
      .from(auditLog)
      .where(
        and(
          eq(auditLog.subjectId, person.id),
          eq(auditLog.action, "auth.password_reset.completed"),
        ),
      );
    expect(audit?.details).toMatchObject({ methods: "code", sessionsRevoked: 1 });
    const mail = await db
      .select({ subject: outbox.subject })
      .from(outbox)
      .where(eq(outbox.userId, person.id));
    expect(mail).toContainEqual({ subject: "Your password was changed" });
    // Used once: the same reset cannot set another password.
    expect(await finish(token, `${NEW_PASSWORD} again`)).toMatchObject({
      ok: false,
      reason: "not_verified",
    });
  });

  it("ends the person's app tokens and remembered browsers too, and tells them by email and by text", async () => {
    const { db } = database;
    await requireMethods(1);
    const person = await personWithApp("reset-everywhere");
    const e164 = "+447911260001";
    await addMobilePhone(db, person.id, e164);
    // Signed in to an app through Factor, and "Don't ask again" on a browser.
    for (const kind of ["Grant", "RefreshToken", "AccessToken"])
      await db.insert(oidcRecords).values({
        kind,
        id: `${kind}-reset-everywhere`,
        payload: { clientId: "library", accountId: person.id },
        accountId: person.id,
      });
    const browser = await rememberBrowser(db, person.id, 14, "laptop");
    expect(await isBrowserRemembered(db, person.id, browser)).toBe(true);
    const smsBefore = await db
      .select({ id: outbox.id })
      .from(outbox)
      .where(and(eq(outbox.channel, "sms"), eq(outbox.recipient, e164)));

    const { token, reset } = await resetFor(person.email);
    await answerWithApp(reset, person);
    expect(await finish(token)).toEqual({ ok: true });

    const tokens = await db
      .select({ kind: oidcRecords.kind })
      .from(oidcRecords)
      .where(eq(oidcRecords.accountId, person.id));
    expect(tokens).toEqual([]);
    expect(await isBrowserRemembered(db, person.id, browser)).toBe(false);
    const notices = await db
      .select({ channel: outbox.channel, recipient: outbox.recipient, subject: outbox.subject })
      .from(outbox)
      .where(eq(outbox.userId, person.id));
    expect(notices).toContainEqual({
      channel: "email",
      recipient: person.email,
      subject: "Your password was changed",
    });
    const sms = notices.filter((n) => n.channel === "sms" && n.recipient === e164);
    expect(sms.length).toBe(smsBefore.length + 1);
    const [audit] = await db
      .select({ details: auditLog.details })
      .from(auditLog)
      .where(
        and(
          eq(auditLog.subjectId, person.id),
          eq(auditLog.action, "auth.password_reset.completed"),
        ),
      );
    expect(audit?.details).toMatchObject({ browsersForgotten: 1 });
  });

  it("by default needs two different methods: the same one twice does not count", async () => {
    const { db } = database;
    const person = await personWithApp("reset-two");
    const [recoveryCode] = await regenerateRecoveryCodes(db, person.id);
    const { token, reset } = await resetFor(person.email);
    expect(reset.needed).toBe(2);
    expect(await answerWithApp(reset, person)).toEqual({ ok: true, done: false });
    const once = (await getPasswordReset(db, token))!;
    expect(once.verified).toEqual(["code"]);
    // The app again, even with its next right code, is not a second method.
    pinClock(clock.ms() + 30_000);
    expect(await answerWithApp(once, person)).toEqual({ ok: false, reason: "wrong_answer" });
    expect((await getPasswordReset(db, token))!.verified).toEqual(["code"]);
    expect(await finish(token)).toMatchObject({ ok: false, reason: "not_verified" });
    // A recovery code is a second, different method.
    expect(await answerPasswordReset(db, once, "recovery-code", recoveryCode!, context)).toEqual({
      ok: true,
      done: true,
    });
  });

  it("takes a texted code only after another method: no stranger can make it text anyone", async () => {
    const { db } = database;
    const person = await personWithApp("reset-text");
    const e164 = "+447911260002";
    await addMobilePhone(db, person.id, e164);
    const textsTo = async () =>
      db
        .select({ id: outbox.id, body: outbox.body, sensitive: outbox.sensitive })
        .from(outbox)
        .where(and(eq(outbox.channel, "sms"), eq(outbox.recipient, e164)));
    const before = (await textsTo()).length;

    // Someone who only knows the email: no text is offered, and asking sends none.
    const { token, reset } = await resetFor(person.email);
    expect(resetOptionsLeft(reset)).toEqual(["code", "recovery-code", "email"]);
    expect(await sendPasswordResetTextCode(db, reset, context)).toEqual({ ok: true });
    expect(await textsTo()).toHaveLength(before);
    expect(await answerPasswordReset(db, reset, "sms", "123456", context)).toEqual({
      ok: false,
      reason: "wrong_answer",
    });

    // After the app's code, a text is the second method.
    await answerWithApp(reset, person);
    const once = (await getPasswordReset(db, token))!;
    expect(resetOptionsLeft(once)).toContain("sms");
    expect(await sendPasswordResetTextCode(db, once, context)).toEqual({ ok: true });
    const texts = await textsTo();
    expect(texts).toHaveLength(before + 1);
    const [message] = await db
      .select()
      .from(outbox)
      .where(eq(outbox.id, texts.at(-1)!.id));
    expect(message!.sensitive).toBe(true);
    const code = /\b(\d{6})\b/.exec(openBody(message!)!)![1]!;
    expect(
      await answerPasswordReset(db, once, "sms", code === "000000" ? "111111" : "000000", context),
    ).toEqual({
      ok: false,
      reason: "wrong_answer",
    });
    expect(await answerPasswordReset(db, once, "sms", code, context)).toEqual({
      ok: true,
      done: true,
    });
    expect(await finish(token)).toEqual({ ok: true });

    // Within the phone's own limits (R-A5.4): a second reset asking again at once waits.
    const again = await resetFor(person.email);
    await answerPasswordReset(
      db,
      again.reset,
      "code",
      await totpCode(person.secret, new Date(clock.ms() + 30_000)),
      context,
    );
    const second = (await getPasswordReset(db, again.token))!;
    expect(await sendPasswordResetTextCode(db, second, context)).toMatchObject({
      ok: false,
      retryAfterSeconds: expect.any(Number),
    });
  });

  it("never verifies a helpdesk or admin account: another administrator resets theirs", async () => {
    const { db } = database;
    await requireMethods(1);
    const { reset } = await resetFor("reset-admin@example.edu");
    expect(reset.userId).toBeNull();
    expect(await answerPasswordReset(db, reset, "code", "123456", context)).toEqual({
      ok: false,
      reason: "wrong_answer",
    });
  });

  it("ends a reset after too many wrong answers, without pausing the person's sign-in", async () => {
    const { db } = database;
    await requireMethods(1);
    const person = await personWithApp("reset-wrong");
    const { token, reset } = await resetFor(person.email);
    const results = [];
    for (let i = 0; i < RESET_ANSWER_LIMIT; i++)
      results.push(await answerPasswordReset(db, reset, "code", "000000", context));
    expect(results.at(-2)).toEqual({ ok: false, reason: "wrong_answer" });
    expect(results.at(-1)).toEqual({ ok: false, reason: "ended" });
    expect(await getPasswordReset(db, token)).toBeNull();
    // Counted for resets; the second step of sign-in is untouched and still takes a right code.
    expect((await getThrottle(db, "password_reset:account", person.id)).locked).toBe(true);
    expect((await getThrottle(db, "mfa:account", person.id)).failures).toBe(0);
    const signInCode = await verifySecondFactor(
      db,
      { id: person.id, email: person.email, displayName: "Test" },
      "code",
      await totpCode(person.secret, clock.now()),
      { ...context, purpose: "sign_in" },
    );
    expect(signInCode.ok).toBe(true);
  });

  it("keeps only a hash of the token", async () => {
    const { token } = await resetFor("hash-check@example.edu");
    const rows = await database.db.select({ id: passwordResets.id }).from(passwordResets);
    expect(rows.map((r) => r.id)).toContain(hashToken(token));
    expect(rows.map((r) => r.id)).not.toContain(token);
  });
});
