import { and, desc, eq, inArray, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import {
  accountRecoveries,
  alternateEmails,
  auditLog,
  authThrottles,
  mfaMethods,
  outbox,
  phoneNumberHistory,
} from "@/lib/db/schema";
import { beginAlternateEmail, confirmAlternateEmail } from "@/lib/mfa/alternate-email";
import { purgeFormerNumbers } from "@/lib/mfa/former-phone-numbers";
import { activatePhone, beginPhoneEnrolment } from "@/lib/mfa/phone-enrolment";
import { removeOwnMethod } from "@/lib/mfa/removal";
import { removeEveryMethod } from "@/lib/mfa/reset-methods";
import { openBody } from "@/lib/notify/message-body";
import { getThrottle } from "@/lib/security/throttle";
import { pinClock } from "@/lib/testing/clock";
import { accepted } from "@/lib/testing/enrolment";
import { addMobilePhone, createPersonWithApp } from "@/lib/testing/people";
import { changeSettings, setUpSettingsTests } from "@/lib/testing/settings";
import type { TestDatabase } from "@/lib/testing/test-database";
import {
  answerAccountRecovery,
  cancelAccountRecovery,
  cancelRecoveryOnSignIn,
  getLatestRecovery,
  getWaitingRecovery,
  startAccountRecovery,
  textRecoveryCode,
} from "./account-recovery";
import { verifyPasswordStep } from "./password-step";

// Lost every method (docs/decisions/0023): the password and a code to an alternate email at least
// 7 days old start a waiting period told to every channel; a cancel link or a sign-in with an old
// method ends it; after it, the password alone leads to registration, once, and the old methods go
// through the same removal as the helpdesk's reset (R-A10.6).

const context = { ip: "192.0.2.90", userAgent: "vitest" };
const HOUR_MS = 3600_000;
const setup = setUpSettingsTests({
  email: "recovery-admin@example.edu",
  displayName: "Recovery Admin",
});
let database: TestDatabase;
let adminId: string;
beforeAll(() => {
  ({ database, adminId } = setup);
});

async function lastMessageTo(address: string) {
  const [row] = await database.db
    .select()
    .from(outbox)
    .where(eq(outbox.recipient, address))
    .orderBy(desc(outbox.id))
    .limit(1);
  return row ? { ...row, text: openBody(row) ?? "" } : undefined;
}

const codeIn = (text: string | undefined) => /\b(\d{8})\b/.exec(text ?? "")?.[1];

/** Someone with an authenticator app and an alternate email verified `ageDays` ago. */
async function personWithAlternate(name: string, ageDays = 8) {
  const clock = pinClock();
  const person = await createPersonWithApp(database.db, `${name}@example.edu`);
  const user = { id: person.id, email: person.email, displayName: "Pat" };
  const home = `${name}.home@example.org`;
  await beginAlternateEmail(database.db, user, "s1", home, context);
  const code = codeIn((await lastMessageTo(home))?.text)!;
  await confirmAlternateEmail(database.db, user, "s1", code, context);
  await database.db
    .update(alternateEmails)
    .set({ verifiedAt: sql`now() - make_interval(days => ${ageDays})` })
    .where(eq(alternateEmails.userId, person.id));
  // The next emailed code must not be held back by the spacing of sends.
  clock.advance(61_000);
  return { ...person, home, clock };
}

/** The password, then the code from the alternate email's inbox. */
async function requestRecovery(person: Awaited<ReturnType<typeof personWithAlternate>>) {
  const started = await startAccountRecovery(
    database.db,
    { email: person.email, password: person.password },
    context,
  );
  if (!started.ok) throw new Error("password refused");
  const code = codeIn((await lastMessageTo(person.home))?.text);
  if (!code) throw new Error("no code");
  return answerAccountRecovery(database.db, started.token, code, context);
}

const passwordStep = (email: string, password: string) =>
  verifyPasswordStep(database.db, { email, password, callbackPath: "/security-info" }, context);

const activeMethods = async (userId: string) =>
  (await database.db.select().from(mfaMethods).where(eq(mfaMethods.userId, userId))).length;

describe("starting a recovery", () => {
  it("with only the password: a code goes to the inbox the attacker lacks, nothing starts", async () => {
    const person = await personWithAlternate("rec-password-only");
    const started = await startAccountRecovery(
      database.db,
      { email: person.email, password: person.password },
      context,
    );
    expect(started.ok).toBe(true);
    if (!started.ok) return;
    for (const guess of ["12345678", "87654321", "00000000"]) {
      const answer = await answerAccountRecovery(database.db, started.token, guess, context);
      expect(answer).toMatchObject({ ok: false, reason: "wrong_code" });
    }
    expect(await getWaitingRecovery(database.db, person.id)).toBeNull();
    expect(await activeMethods(person.id)).toBe(1);
    // The owner's inbox got the code it asked for, with no link.
    expect((await lastMessageTo(person.home))?.text).toContain("to recover your account");
  });

  it("with only the inbox (a wrong password): refused like sign-in, no code sent, counted", async () => {
    const person = await personWithAlternate("rec-inbox-only");
    const before = (await lastMessageTo(person.home))?.id;
    const started = await startAccountRecovery(
      database.db,
      { email: person.email, password: "not the password at all" },
      context,
    );
    expect(started).toEqual({ ok: false });
    expect((await lastMessageTo(person.home))?.id).toBe(before);
    // Counted on the password step's own counter, shared with sign-in (R-A11.3).
    expect((await getThrottle(database.db, "password:account", person.email)).failures).toBe(1);
    const unknown = await startAccountRecovery(
      database.db,
      { email: "nobody@example.edu", password: "whatever it is" },
      context,
    );
    expect(unknown).toEqual({ ok: false });
  });

  it("an alternate email verified less than 7 days ago gets no code", async () => {
    const person = await personWithAlternate("rec-young", 6);
    const before = (await lastMessageTo(person.home))?.id;
    const started = await startAccountRecovery(
      database.db,
      { email: person.email, password: person.password },
      context,
    );
    expect(started.ok).toBe(true);
    expect((await lastMessageTo(person.home))?.id).toBe(before);
  });

  it("wrong codes are throttled: the code dies after 5 and the account's codes pause", async () => {
    const person = await personWithAlternate("rec-throttle");
    const started = await startAccountRecovery(
      database.db,
      { email: person.email, password: person.password },
      context,
    );
    if (!started.ok) throw new Error("password refused");
    const code = codeIn((await lastMessageTo(person.home))?.text)!;
    for (let i = 0; i < 5; i++)
      await answerAccountRecovery(database.db, started.token, "99999999", context);
    const throttle = await getThrottle(database.db, "email_code:account", person.id);
    expect(throttle.failures).toBe(5);
    expect(throttle.locked).toBe(true);
    const late = await answerAccountRecovery(database.db, started.token, code, context);
    expect(late).toMatchObject({ ok: false, reason: "wrong_code" });
    expect(await getWaitingRecovery(database.db, person.id)).toBeNull();
    const failures = await database.db
      .select({ id: auditLog.id })
      .from(auditLog)
      .where(
        and(eq(auditLog.subjectId, person.id), eq(auditLog.action, "auth.account_recovery.failed")),
      );
    expect(failures).toHaveLength(6);
  });
});

describe("the waiting period", () => {
  it("is 72 hours by default, told to every channel with a single-use cancel link", async () => {
    const person = await personWithAlternate("rec-cancel");
    const requested = await requestRecovery(person);
    expect(requested.ok).toBe(true);
    if (!requested.ok) return;
    expect(requested.completesAt.getTime() - person.clock.ms()).toBe(72 * HOUR_MS);
    const notices = [await lastMessageTo(person.email), await lastMessageTo(person.home)];
    for (const notice of notices) {
      expect(notice?.subject).toBe("Someone asked to reset your sign-in methods");
      expect(notice?.text).toContain("/recover/cancel#");
    }
    const link = /\/recover\/cancel#(\S+)/.exec(notices[0]!.text)![1]!;
    const [row] = await database.db
      .select({ hash: accountRecoveries.cancelTokenHash })
      .from(accountRecoveries)
      .where(eq(accountRecoveries.status, "waiting"));
    expect(row!.hash).not.toContain(link);

    // The password alone during the wait: a second factor is still asked; nothing is removed.
    person.clock.advance(71 * HOUR_MS);
    const early = await passwordStep(person.email, person.password);
    expect(early).toMatchObject({ ok: true, stage: "second_factor" });
    expect(await activeMethods(person.id)).toBe(1);

    expect(await cancelAccountRecovery(database.db, "not-the-token", context)).toBe(false);
    expect(await cancelAccountRecovery(database.db, link, context)).toBe(true);
    expect(await cancelAccountRecovery(database.db, link, context)).toBe(false);
    expect(await getLatestRecovery(database.db, person.id)).toMatchObject({
      status: "cancelled",
      endedBy: "link",
      provenBy: "email",
    });
    person.clock.advance(2 * HOUR_MS);
    const after = await passwordStep(person.email, person.password);
    expect(after).toMatchObject({ ok: true, stage: "second_factor" });
    expect(await activeMethods(person.id)).toBe(1);
    expect((await lastMessageTo(person.home))?.subject).toBe(
      "The request to reset your sign-in methods was cancelled",
    );
  });

  it("a sign-in with an old method during the wait cancels it", async () => {
    const person = await personWithAlternate("rec-signin");
    await requestRecovery(person);
    await database.db.transaction((tx) => cancelRecoveryOnSignIn(tx, person.id, context));
    expect(await getWaitingRecovery(database.db, person.id)).toBeNull();
    expect(await getLatestRecovery(database.db, person.id)).toMatchObject({
      status: "cancelled",
      endedBy: "sign_in",
    });
    person.clock.advance(73 * HOUR_MS);
    expect(await passwordStep(person.email, person.password)).toMatchObject({
      stage: "second_factor",
    });
    expect(await activeMethods(person.id)).toBe(1);
  });

  it("follows the administrator's setting; after it, the password alone leads to registration once", async () => {
    await changeSettings(database.db, adminId, { account_recovery_wait_minutes: 30 });
    const person = await personWithAlternate("rec-complete");
    const requested = await requestRecovery(person);
    if (!requested.ok) throw new Error("not requested");
    expect(requested.completesAt.getTime() - person.clock.ms()).toBe(30 * 60_000);
    const waiting = await getLatestRecovery(database.db, person.id);
    expect(waiting?.status).toBe("waiting");

    // A second request while one waits reports the running one; it does not start another.
    person.clock.advance(10 * 60_000);
    const again = await requestRecovery(person);
    expect(again).toMatchObject({ ok: true, completesAt: requested.completesAt });

    person.clock.advance(21 * 60_000);
    const wrong = await passwordStep(person.email, "a wrong password here");
    expect(wrong.ok).toBe(false);
    expect(await activeMethods(person.id)).toBe(1);
    const done = await passwordStep(person.email, person.password);
    expect(done).toMatchObject({ ok: true, stage: "registration" });
    expect(await activeMethods(person.id)).toBe(0);
    expect(await getLatestRecovery(database.db, person.id)).toMatchObject({
      status: "completed",
    });
    const audits = await database.db
      .select({ action: auditLog.action })
      .from(auditLog)
      .where(eq(auditLog.subjectId, person.id));
    expect(audits.map((a) => a.action)).toEqual(
      expect.arrayContaining([
        "auth.account_recovery.started",
        "auth.account_recovery.requested",
        "auth.account_recovery.completed",
      ]),
    );
    expect((await lastMessageTo(person.home))?.subject).toBe("Your sign-in methods were reset");
  });

  it("helpdesk and admin accounts cannot recover themselves", async () => {
    const clock = pinClock();
    const agent = await createPersonWithApp(database.db, "rec-agent@example.edu", "helpdesk");
    const user = { id: agent.id, email: agent.email, displayName: "Pat" };
    await beginAlternateEmail(database.db, user, "s1", "agent.home@example.org", context);
    const code = codeIn((await lastMessageTo("agent.home@example.org"))?.text)!;
    await confirmAlternateEmail(database.db, user, "s1", code, context);
    await database.db
      .update(alternateEmails)
      .set({ verifiedAt: sql`now() - interval '30 days'` })
      .where(eq(alternateEmails.userId, agent.id));
    clock.advance(61_000);
    const before = (await lastMessageTo("agent.home@example.org"))?.id;
    const started = await startAccountRecovery(
      database.db,
      { email: agent.email, password: agent.password },
      context,
    );
    expect(started.ok).toBe(true);
    expect((await lastMessageTo("agent.home@example.org"))?.id).toBe(before);
    if (started.ok) {
      const answer = await answerAccountRecovery(database.db, started.token, code, context);
      expect(answer.ok).toBe(false);
    }
    expect(await getWaitingRecovery(database.db, agent.id)).toBeNull();
  });
});

// A number that served a week as a phone method and that the person deleted saying they still
// have it proves a recovery when they type it; its code is bound to the recovery (R-A1.6), keeps
// the send limits (R-A5.4) and counts wrong answers as sign-in texts do (R-A5.3, R-A11.1,
// R-A11.5, R-A15.1); every other number gets the same answer and no text (R-A18.1).
describe("a phone number used before as the second proof", () => {
  const WEEK_AND_A_DAY = 8;

  /** Backdates the start of the stretch `methodId` serves to `days` days ago. */
  const servedSince = (methodId: string, days: number) =>
    database.db
      .update(phoneNumberHistory)
      .set({ verifiedAt: sql`now() - make_interval(days => ${days})` })
      .where(eq(phoneNumberHistory.methodId, methodId));

  /** Someone with an app and no alternate email, whose phone `e164` served for `days` days. */
  async function personWithFormerPhone(name: string, e164: string, days: number, kept = true) {
    const clock = pinClock();
    const person = await createPersonWithApp(database.db, `${name}@example.edu`);
    const methodId = await addMobilePhone(database.db, person.id, e164);
    await servedSince(methodId, days);
    expect(await deletePhone(person, methodId, kept)).toBe("deleted");
    return { ...person, clock };
  }

  /** Security info's "Delete", with "I still have this number" ticked or not. */
  const deletePhone = (person: { id: string; email: string }, methodId: string, kept: boolean) =>
    removeOwnMethod(
      database.db,
      { ...person, displayName: "Pat", mfaRequired: true },
      methodId,
      context,
      { keepNumber: kept },
    );

  async function proveThePassword(person: { email: string; password: string }) {
    const started = await startAccountRecovery(
      database.db,
      { email: person.email, password: person.password },
      context,
    );
    if (!started.ok) throw new Error("password refused");
    return started.token;
  }

  const textsTo = async (e164: string) =>
    (await database.db.select().from(outbox).where(eq(outbox.recipient, e164))).length;
  const textedCode = async (e164: string) =>
    /\b(\d{6})\b/.exec((await lastMessageTo(e164))?.text ?? "")?.[1];
  const otherThan = (code: string) => (code === "000000" ? "000001" : "000000");

  it("a kept number that served a week is texted when the person names it; its code starts the wait", async () => {
    const e164 = "+447911100301";
    const person = await personWithFormerPhone("rec-former", e164, WEEK_AND_A_DAY);
    const token = await proveThePassword(person);
    // No alternate email: nothing is sent until the person names the number.
    expect(await textsTo(e164)).toBe(0);

    expect(await textRecoveryCode(database.db, token, "07911 100301", context)).toEqual({
      ok: true,
    });
    expect((await lastMessageTo(e164))?.channel).toBe("sms");
    const code = (await textedCode(e164))!;
    // Straight away again: the spacing of texts holds, and the page can say when.
    const again = await textRecoveryCode(database.db, token, e164, context);
    expect(again).toMatchObject({ ok: false, reason: "limit" });
    expect(await textsTo(e164)).toBe(1);

    // The code belongs to its recovery: another one, with the same password, cannot use it.
    const other = await proveThePassword(person);
    expect(await answerAccountRecovery(database.db, other, code, context)).toEqual({
      ok: false,
      reason: "wrong_code",
    });
    // The owner hears of the first wrong code of a run.
    const warning = await lastMessageTo(person.email);
    expect(warning?.subject).toBe("Your password was used, but verification failed");
    expect(await getWaitingRecovery(database.db, person.id)).toBeNull();

    const requested = await answerAccountRecovery(database.db, token, code, context);
    expect(requested.ok).toBe(true);
    expect(await getWaitingRecovery(database.db, person.id)).not.toBeNull();
    const notice = await lastMessageTo(person.email);
    expect(notice?.subject).toBe("Someone asked to reset your sign-in methods");
    expect(notice?.text).toContain("a code sent to a phone number you used before");
    // The former number may be someone else's by now: it gets the code it was asked for, no more.
    expect(await textsTo(e164)).toBe(1);
    const [audit] = await database.db
      .select({ details: auditLog.details })
      .from(auditLog)
      .where(
        and(
          eq(auditLog.subjectId, person.id),
          eq(auditLog.action, "auth.account_recovery.requested"),
        ),
      );
    expect(audit?.details).toMatchObject({ provenBy: "text" });
    // The helpdesk sees which proof started it.
    expect(await getLatestRecovery(database.db, person.id)).toMatchObject({
      status: "waiting",
      provenBy: "text",
    });
  });

  it("no text, and the same answer, for a number not kept, kept under a week, in use, lost since or never the person's", async () => {
    const brief = await personWithFormerPhone("rec-brief", "+447911100302", 2);
    const notKept = await personWithFormerPhone(
      "rec-not-kept",
      "+447911100303",
      WEEK_AND_A_DAY,
      false,
    );
    const current = await personWithFormerPhone("rec-current", "+447911100304", WEEK_AND_A_DAY);
    await addMobilePhone(database.db, current.id, "+447911100304");
    // Kept once, added again later, then deleted as lost: the older stretch no longer speaks.
    const lost = await personWithFormerPhone("rec-lost", "+447911100305", WEEK_AND_A_DAY);
    const again = await addMobilePhone(database.db, lost.id, "+447911100305");
    await servedSince(again, WEEK_AND_A_DAY);
    await deletePhone(lost, again, false);
    const cases = [
      [brief, "+447911100302"],
      [notKept, "+447911100303"],
      [current, "+447911100304"],
      [lost, "+447911100305"],
      [brief, "+447911100399"],
    ] as const;
    for (const [person, e164] of cases) {
      const token = await proveThePassword(person);
      const before = await textsTo(e164);
      expect(await textRecoveryCode(database.db, token, e164, context)).toEqual({ ok: true });
      expect(await textsTo(e164)).toBe(before);
    }
    const token = await proveThePassword(brief);
    expect(await textRecoveryCode(database.db, token, "not a number", context)).toEqual({
      ok: false,
      reason: "invalid",
    });
    expect(await textRecoveryCode(database.db, undefined, "+447911100302", context)).toEqual({
      ok: false,
      reason: "ended",
    });
  });

  it("wrong texted codes: the fifth kills the code, and a paused counter refuses even the right one", async () => {
    const e164 = "+447911100306";
    const person = await personWithFormerPhone("rec-guess", e164, WEEK_AND_A_DAY);
    const token = await proveThePassword(person);
    await textRecoveryCode(database.db, token, e164, context);
    const code = (await textedCode(e164))!;
    for (let attempt = 0; attempt < 5; attempt++) {
      await answerAccountRecovery(database.db, token, otherThan(code), context);
    }
    // The recovery's own counter has counted every one, towards its hard stop at 100.
    const own = `${person.id}:recovery-text`;
    expect((await getThrottle(database.db, "mfa:option", own)).failures).toBe(5);
    // The pause the fifth started has passed; the code it killed stays dead.
    await database.db
      .update(authThrottles)
      .set({ lockedUntil: null })
      .where(inArray(authThrottles.key, [person.id, own]));
    expect((await getThrottle(database.db, "mfa:account", person.id)).locked).toBe(false);
    expect(await answerAccountRecovery(database.db, token, code, context)).toEqual({
      ok: false,
      reason: "wrong_code",
    });

    // A fresh code, then a wrong one that pauses the account's counter: the right one is refused.
    const next = await proveThePassword(person);
    person.clock.advance(3600_000); // past the spacing of texts
    await textRecoveryCode(database.db, next, e164, context);
    const fresh = (await textedCode(e164))!;
    expect(fresh).not.toBe(code);
    await answerAccountRecovery(database.db, next, otherThan(fresh), context);
    expect((await getThrottle(database.db, "mfa:account", person.id)).locked).toBe(true);
    expect(await answerAccountRecovery(database.db, next, fresh, context)).toEqual({
      ok: false,
      reason: "wrong_code",
    });
    expect(await getWaitingRecovery(database.db, person.id)).toBeNull();
  });

  it("a number is kept only when deleted as still the person's; a change, a reset or a loss forgets it", async () => {
    const person = await createPersonWithApp(database.db, "rec-service@example.edu");
    const stretch = async (methodId: string) =>
      (
        await database.db
          .select({ retiredAt: phoneNumberHistory.retiredAt, keptAt: phoneNumberHistory.keptAt })
          .from(phoneNumberHistory)
          .where(eq(phoneNumberHistory.methodId, methodId))
      )[0];
    const kept = await addMobilePhone(database.db, person.id, "+447911100311");
    expect(await stretch(kept)).toMatchObject({ retiredAt: null, keptAt: null });
    await deletePhone(person, kept, true);
    expect(await stretch(kept)).toMatchObject({
      retiredAt: expect.any(Date),
      keptAt: expect.any(Date),
    });

    const first = await addMobilePhone(database.db, person.id, "+447911100312");
    const changed = accepted(
      await beginPhoneEnrolment(database.db, person.id, {
        kind: "mobile_phone",
        e164: "+447911100313",
        extension: null,
        channel: "sms",
        replaces: first,
        bindingId: "sign-in:test",
      }),
    );
    await activatePhone(database.db, person.id, changed);
    expect(await stretch(first)).toBeUndefined();
    expect(await stretch(changed)).toMatchObject({ retiredAt: null });
    await database.db.transaction((tx) => removeEveryMethod(tx, person.id));
    expect(await stretch(changed)).toBeUndefined();

    // Kept a year after it stopped serving, then forgotten.
    const stoppedDaysAgo = (days: number) =>
      database.db
        .update(phoneNumberHistory)
        .set({ retiredAt: sql`now() - make_interval(days => ${days})` })
        .where(eq(phoneNumberHistory.methodId, kept));
    await stoppedDaysAgo(364);
    await purgeFormerNumbers(database.db);
    expect(await stretch(kept)).toBeDefined();
    await stoppedDaysAgo(366);
    await purgeFormerNumbers(database.db);
    expect(await stretch(kept)).toBeUndefined();
  });
});
