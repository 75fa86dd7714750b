import { and, desc, eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import {
  accountRecoveries,
  alternateEmails,
  auditLog,
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

// A number that served a week as a phone method and was given up proves a recovery when the
// person types it; its code is bound to the recovery (R-A1.6), keeps the send limits (R-A5.4) and
// counts wrong answers as sign-in codes do (R-A5.3, R-A11.1); every other number gets the same
// answer and no text (R-A18.1).
describe("a phone number used before as the second proof", () => {
  const WEEK_AND_A_DAY = 8;

  /** Someone with an app and no alternate email, whose phone `e164` served for `days` days. */
  async function personWithFormerPhone(name: string, e164: string, days: number, disowned = false) {
    const clock = pinClock();
    const person = await createPersonWithApp(database.db, `${name}@example.edu`);
    const methodId = await addMobilePhone(database.db, person.id, e164);
    await database.db
      .update(phoneNumberHistory)
      .set({ verifiedAt: sql`now() - make_interval(days => ${days})` })
      .where(eq(phoneNumberHistory.methodId, methodId));
    const user = { ...person, displayName: "Pat", mfaRequired: true };
    expect(await removeOwnMethod(database.db, user, methodId, context, { disowned })).toBe(
      "deleted",
    );
    return { ...person, clock };
  }

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

  it("a number that served a week is texted when the person names it; its code starts the wait", async () => {
    const e164 = "+447911100301";
    const person = await personWithFormerPhone("rec-former", e164, WEEK_AND_A_DAY);
    const token = await proveThePassword(person);
    // No alternate email: nothing is sent until the person names the number.
    expect(await textsTo(e164)).toBe(0);

    expect(await textRecoveryCode(database.db, token, "07911 100301", context)).toEqual({
      ok: true,
    });
    const texted = await lastMessageTo(e164);
    expect(texted?.channel).toBe("sms");
    const code = /\b(\d{6})\b/.exec(texted!.text)![1]!;

    const wrong = code === "000000" ? "000001" : "000000";
    expect(await answerAccountRecovery(database.db, token, wrong, context)).toEqual({
      ok: false,
      reason: "wrong_code",
    });
    expect((await getThrottle(database.db, "mfa:account", person.id)).failures).toBe(1);
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
  });

  it("a number that served under a week, is still a method, was disowned or never was: no text, same answer", async () => {
    const brief = await personWithFormerPhone("rec-brief", "+447911100302", 2);
    const disowned = await personWithFormerPhone(
      "rec-disowned",
      "+447911100303",
      WEEK_AND_A_DAY,
      true,
    );
    const current = await personWithFormerPhone("rec-current", "+447911100304", WEEK_AND_A_DAY);
    await addMobilePhone(database.db, current.id, "+447911100304");
    const cases = [
      [brief, "+447911100302"],
      [disowned, "+447911100303"],
      [current, "+447911100304"],
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

  it("every way a phone goes ends its number's service: removal, a change, a reset", async () => {
    const person = await createPersonWithApp(database.db, "rec-service@example.edu");
    const served = async (methodId: string) =>
      (
        await database.db
          .select({ retiredAt: phoneNumberHistory.retiredAt })
          .from(phoneNumberHistory)
          .where(eq(phoneNumberHistory.methodId, methodId))
      )[0]?.retiredAt;
    const first = await addMobilePhone(database.db, person.id, "+447911100311");
    expect(await served(first)).toBeNull();
    const changed = accepted(
      await beginPhoneEnrolment(database.db, person.id, {
        kind: "mobile_phone",
        e164: "+447911100312",
        extension: null,
        channel: "sms",
        replaces: first,
        bindingId: "sign-in:test",
      }),
    );
    await activatePhone(database.db, person.id, changed);
    expect(await served(first)).toBeInstanceOf(Date);
    expect(await served(changed)).toBeNull();
    await database.db.transaction((tx) => removeEveryMethod(tx, person.id));
    expect(await served(changed)).toBeInstanceOf(Date);

    // Kept a year after it stopped serving, then forgotten.
    const stoppedDaysAgo = (methodId: string, days: number) =>
      database.db
        .update(phoneNumberHistory)
        .set({ retiredAt: sql`now() - make_interval(days => ${days})` })
        .where(eq(phoneNumberHistory.methodId, methodId));
    await stoppedDaysAgo(first, 366);
    await stoppedDaysAgo(changed, 364);
    await purgeFormerNumbers(database.db);
    expect(await served(first)).toBeUndefined();
    expect(await served(changed)).toBeInstanceOf(Date);
  });
});
