import { and, desc, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import {
  answerPasswordReset,
  beginPasswordReset,
  getPasswordReset,
} from "@/lib/auth/password-reset";
import { sendPasswordResetEmailCode } from "@/lib/auth/password-reset";
import { alternateEmails, auditLog, emailCodes, outbox } from "@/lib/db/schema";
import { openBody } from "@/lib/notify/message-body";
import { queueSecurityNotice } from "@/lib/notify/security-notice";
import { getThrottle } from "@/lib/security/throttle";
import { pinClock } from "@/lib/testing/clock";
import { changeSettings, setUpSettingsTests } from "@/lib/testing/settings";
import type { TestDatabase } from "@/lib/testing/test-database";
import { createTestUser } from "@/lib/testing/users";
import {
  beginAlternateEmail,
  confirmAlternateEmail,
  getAlternateEmail,
  getPendingAlternateEmail,
  removeAlternateEmail,
} from "./alternate-email";

// The alternate email (docs/decisions/0023): verified by an 8-digit emailed code that lives 10
// minutes, is kept hashed, dies after 5 wrong tries, is sent within limits and carries no link;
// security notices then go to it too, and a password reset can use it.

const context = { ip: "192.0.2.80", userAgent: "vitest" };
const setup = setUpSettingsTests({ email: "alt-admin@example.edu", displayName: "Alt Admin" });
let database: TestDatabase;
let adminId: string;
beforeAll(() => {
  ({ database, adminId } = setup);
});

async function person(name: string) {
  const email = `${name}@example.edu`;
  const { id } = await createTestUser(database.db, { email, displayName: "Alex", role: "user" });
  return { id, email, displayName: "Alex" };
}

/** The newest message to an address, opened as the outbox page shows it. */
async function lastMessageTo(address: string) {
  const [row] = await database.db
    .select()
    .from(outbox)
    .where(eq(outbox.recipient, address))
    .orderBy(desc(outbox.id))
    .limit(1);
  return row ? { ...row, text: openBody(row) ?? "" } : undefined;
}

async function codeSentTo(address: string): Promise<string> {
  const message = await lastMessageTo(address);
  const code = /\b(\d{8})\b/.exec(message?.text ?? "")?.[1];
  if (!code) throw new Error(`no code sent to ${address}`);
  return code;
}

const countTo = async (address: string) =>
  (await database.db.select({ id: outbox.id }).from(outbox).where(eq(outbox.recipient, address)))
    .length;

describe("adding an alternate email", () => {
  it("refuses a malformed address or the sign-in address, and keeps nothing", async () => {
    const user = await person("alt-refused");
    for (const typed of ["not-an-address", "", "a@b", user.email.toUpperCase()]) {
      const started = await beginAlternateEmail(database.db, user, "s1", typed, context);
      expect(started.ok).toBe(false);
    }
    expect(await getPendingAlternateEmail(database.db, user.id)).toBeNull();
    expect(await countTo("not-an-address")).toBe(0);
  });

  it("emails an 8-digit code without a link, kept hashed, that lives 10 minutes", async () => {
    pinClock();
    const user = await person("alt-code");
    const started = await beginAlternateEmail(
      database.db,
      user,
      "s1",
      " alex.home@example.org ",
      context,
    );
    expect(started.ok).toBe(true);
    const message = (await lastMessageTo("alex.home@example.org"))!;
    expect(message.sensitive).toBe(true);
    expect(message.body).not.toMatch(/\d{8}/); // sealed at rest
    expect(message.text).toMatch(/verification code is \d{8}\./);
    expect(message.text).not.toMatch(/https?:|www\./);
    expect(message.htmlBody).toBeNull();
    const code = await codeSentTo("alex.home@example.org");
    const [row] = await database.db.select().from(emailCodes).where(eq(emailCodes.userId, user.id));
    expect(row!.codeHash).not.toContain(code);
    expect(row!.expiresAt.getTime() - row!.createdAt.getTime()).toBeCloseTo(10 * 60_000, -3);
    // Not usable from another session: the code is bound to the one that asked (R-A1.6).
    const elsewhere = await confirmAlternateEmail(database.db, user, "s2", code, context);
    expect(elsewhere.ok).toBe(false);
    expect(await getAlternateEmail(database.db, user.id)).toBeNull();
  });

  it("verifies the address with the right code, audits it and tells both addresses", async () => {
    pinClock();
    const user = await person("alt-verify");
    await beginAlternateEmail(database.db, user, "s1", "alex.v@example.org", context);
    const code = await codeSentTo("alex.v@example.org");
    const wrong = await confirmAlternateEmail(database.db, user, "s1", "00000000", context);
    expect(wrong.ok).toBe(false);
    expect(await getAlternateEmail(database.db, user.id)).toBeNull();
    expect((await confirmAlternateEmail(database.db, user, "s1", code, context)).ok).toBe(true);
    expect((await getAlternateEmail(database.db, user.id))?.email).toBe("alex.v@example.org");
    // Used once only.
    expect((await confirmAlternateEmail(database.db, user, "s1", code, context)).ok).toBe(false);
    expect((await lastMessageTo(user.email))?.subject).toBe("Your alternate email was changed");
    expect((await lastMessageTo("alex.v@example.org"))?.subject).toBe(
      "Your alternate email was changed",
    );
    const audits = await database.db
      .select({ action: auditLog.action })
      .from(auditLog)
      .where(eq(auditLog.subjectId, user.id));
    expect(audits.map((a) => a.action)).toContain("mfa.alternate_email.added");

    // Every later notice goes to both addresses.
    await queueSecurityNotice(database.db, user, "password.changed", context);
    expect((await lastMessageTo(user.email))?.subject).toBe("Your password was changed");
    expect((await lastMessageTo("alex.v@example.org"))?.subject).toBe("Your password was changed");
  });

  it("a change replaces the old address, which is told; a removal stops notices to it", async () => {
    const clock = pinClock();
    const user = await person("alt-change");
    await beginAlternateEmail(database.db, user, "s1", "old@example.org", context);
    await confirmAlternateEmail(
      database.db,
      user,
      "s1",
      await codeSentTo("old@example.org"),
      context,
    );
    clock.advance(61_000);
    await beginAlternateEmail(database.db, user, "s1", "new@example.org", context);
    // Until verified, the old address stays.
    expect((await getAlternateEmail(database.db, user.id))?.email).toBe("old@example.org");
    await confirmAlternateEmail(
      database.db,
      user,
      "s1",
      await codeSentTo("new@example.org"),
      context,
    );
    expect((await getAlternateEmail(database.db, user.id))?.email).toBe("new@example.org");
    expect((await lastMessageTo("old@example.org"))?.text).toContain(
      "o•••@example.org was replaced by n•••@example.org",
    );

    expect(await removeAlternateEmail(database.db, user, context)).toBe(true);
    expect(await getAlternateEmail(database.db, user.id)).toBeNull();
    expect((await lastMessageTo("new@example.org"))?.subject).toBe(
      "Your alternate email was removed",
    );
    const before = await countTo("new@example.org");
    await queueSecurityNotice(database.db, user, "password.changed", context);
    expect(await countTo("new@example.org")).toBe(before);
    expect(await removeAlternateEmail(database.db, user, context)).toBe(false);
  });
});

describe("throttles", () => {
  it("a code dies after 5 wrong tries, even for the right code, and a resend keeps it dead", async () => {
    const clock = pinClock();
    const user = await person("alt-dead");
    await beginAlternateEmail(database.db, user, "s1", "dead@example.org", context);
    const code = await codeSentTo("dead@example.org");
    for (let i = 0; i < 5; i++) {
      const answer = await confirmAlternateEmail(database.db, user, "s1", "11111111", context);
      expect(answer.ok).toBe(false);
    }
    expect((await confirmAlternateEmail(database.db, user, "s1", code, context)).ok).toBe(false);
    clock.advance(120_000);
    const resend = await beginAlternateEmail(database.db, user, "s1", "dead@example.org", context);
    expect(resend).toMatchObject({ ok: false, reason: "dead" });
    expect(await getAlternateEmail(database.db, user.id)).toBeNull();
  });

  it("sends are spaced and limited per hour, for the account and for the address", async () => {
    const clock = pinClock();
    const user = await person("alt-sends");
    const send = () => beginAlternateEmail(database.db, user, "s1", "sends@example.org", context);
    expect((await send()).ok).toBe(true);
    // A minute between sends (PHONE_SEND_INTERVAL_SECONDS): refused, and nothing more is sent.
    expect(await send()).toMatchObject({ ok: false, reason: "limit" });
    expect(await countTo("sends@example.org")).toBe(1);
    for (let i = 2; i <= 5; i++) {
      clock.advance(61_000);
      expect((await send()).ok).toBe(true);
    }
    clock.advance(61_000);
    expect(await send()).toMatchObject({ ok: false, reason: "limit" });
    expect(await countTo("sends@example.org")).toBe(5);
    // Another account naming the same address shares the address's allowance.
    const other = await person("alt-sends-other");
    const theirs = await beginAlternateEmail(
      database.db,
      other,
      "s9",
      "SENDS@example.org",
      context,
    );
    expect(theirs).toMatchObject({ ok: false, reason: "limit" });
    const refused = await database.db
      .select({ id: auditLog.id })
      .from(auditLog)
      .where(and(eq(auditLog.subjectId, user.id), eq(auditLog.action, "mfa.email.refused")));
    expect(refused.length).toBeGreaterThan(0);
  });

  it("wrong codes pause the account's emailed codes as the second step pauses codes", async () => {
    const clock = pinClock();
    const user = await person("alt-pause");
    for (let round = 0; round < 2; round++) {
      await beginAlternateEmail(database.db, user, `s${round}`, "pause@example.org", context);
      clock.advance(61_000);
      const tries = round === 0 ? 4 : 1;
      for (let i = 0; i < tries; i++)
        await confirmAlternateEmail(database.db, user, `s${round}`, "22222222", context);
    }
    const throttle = await getThrottle(database.db, "email_code:account", user.id);
    expect(throttle.failures).toBe(5);
    expect(throttle.locked).toBe(true);
    // While paused even the right code of a fresh challenge fails.
    await beginAlternateEmail(database.db, user, "s5", "pause@example.org", context);
    const code = await codeSentTo("pause@example.org");
    expect((await confirmAlternateEmail(database.db, user, "s5", code, context)).ok).toBe(false);
    expect(await getAlternateEmail(database.db, user.id)).toBeNull();
  });
});

describe("in a password reset", () => {
  it("proves the person with a code emailed to the alternate email; an unknown email gets nothing", async () => {
    const clock = pinClock();
    await changeSettings(database.db, adminId, { password_reset_methods: 1 });
    const user = await person("alt-reset");
    await beginAlternateEmail(database.db, user, "s1", "reset.home@example.org", context);
    await confirmAlternateEmail(
      database.db,
      user,
      "s1",
      await codeSentTo("reset.home@example.org"),
      context,
    );

    clock.advance(61_000);
    const token = await beginPasswordReset(database.db, user.email, context);
    const reset = (await getPasswordReset(database.db, token))!;
    await sendPasswordResetEmailCode(database.db, reset, context);
    const message = (await lastMessageTo("reset.home@example.org"))!;
    expect(message.text).toContain("to reset your password");
    expect(message.text).not.toMatch(/https?:/);
    const code = await codeSentTo("reset.home@example.org");
    const wrong = await answerPasswordReset(database.db, reset, "email", "12345678", context);
    expect(wrong).toMatchObject({ ok: false, reason: "wrong_answer" });
    const right = await answerPasswordReset(
      database.db,
      (await getPasswordReset(database.db, token))!,
      "email",
      code,
      context,
    );
    expect(right).toEqual({ ok: true, done: true });

    const before = (await database.db.select({ id: outbox.id }).from(outbox)).length;
    const strangerToken = await beginPasswordReset(database.db, "nobody@example.edu", context);
    const stranger = (await getPasswordReset(database.db, strangerToken))!;
    await sendPasswordResetEmailCode(database.db, stranger, context);
    expect((await database.db.select({ id: outbox.id }).from(outbox)).length).toBe(before);
    const guess = await answerPasswordReset(database.db, stranger, "email", code, context);
    expect(guess).toMatchObject({ ok: false, reason: "wrong_answer" });
  });

  it("a code for an address being verified, not yet verified, is never sent for a reset", async () => {
    pinClock();
    const user = await person("alt-reset-pending");
    await beginAlternateEmail(database.db, user, "s1", "pending@example.org", context);
    const before = await countTo("pending@example.org");
    const token = await beginPasswordReset(database.db, user.email, context);
    await sendPasswordResetEmailCode(
      database.db,
      (await getPasswordReset(database.db, token))!,
      context,
    );
    expect(await countTo("pending@example.org")).toBe(before);
    const rows = await database.db
      .select({ status: alternateEmails.status })
      .from(alternateEmails)
      .where(eq(alternateEmails.userId, user.id));
    expect(rows).toEqual([{ status: "pending" }]);
  });
});
