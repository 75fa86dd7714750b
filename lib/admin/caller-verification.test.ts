import { webcrypto } from "node:crypto";
import { and, desc, eq, sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { auditLog, callerVerifications, mfaMethods, outbox, pushRequests } from "@/lib/db/schema";
import { beginAlternateEmail, confirmAlternateEmail } from "@/lib/mfa/alternate-email";
import { emailCodeAllowance } from "@/lib/mfa/phone-send-limits";
import { getDevice } from "@/lib/mfa/companion-device";
import { beginPairing, completePairing, confirmPairedPhone } from "@/lib/mfa/companion-pairing";
import { answerMessage, pairingMessage } from "@/lib/mfa/companion-protocol";
import { answerPushRequest, listPendingPushes, pushNumber } from "@/lib/mfa/companion-push";
import { totpCode } from "@/lib/mfa/totp";
import { openBody } from "@/lib/notify/message-body";
import { accepted } from "@/lib/testing/enrolment";
import { addMobilePhone } from "@/lib/testing/people";
import { changeSettings } from "@/lib/testing/settings";
import { createTestDatabase } from "@/lib/testing/test-database";
import { createTestUser } from "@/lib/testing/users";
import { issueAccessPassTo, requireReregister, resetPassword } from "./account-actions";
import type { Agent } from "./agent-rules";
import {
  CALLER_CODE_MAX_FAILURES,
  CALLER_CODE_TTL_MS,
  CALLER_NOT_VERIFIED_MESSAGE,
  checkCallerCode,
  finishPushVerification,
  getCallerVerificationOptions,
  getCallerVerificationView,
  getPushVerificationStatus,
  getVerifiedCaller,
  startEmailVerification,
  startPushVerification,
  startTextVerification,
} from "./caller-verification";

// "Verify identity" (R-A10.4): a code texted to the person's phone and read back, or a request
// to their Authenticator app; and the organisation's rule that a password reset, a pass or an
// MFA reset waits for one.

const context = { ip: "192.0.2.44", userAgent: "vitest" };
const why = { reason: "Caller asked for a password reset", ticket: "INC-7" };
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let counter = 0;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.dispose();
});

function resetEnv() {
  (globalThis as { __factorEnv?: unknown }).__factorEnv = undefined;
}
beforeEach(() => {
  // Texts without the spacing between sends, so a test can send several.
  process.env.PHONE_SEND_INTERVAL_SECONDS = "0";
  resetEnv();
});
afterEach(() => {
  delete process.env.PHONE_SEND_INTERVAL_SECONDS;
  resetEnv();
});

type Person = { id: string; email: string; displayName: string; role: "user" };

async function newAgent(role: Agent["role"] = "helpdesk"): Promise<Agent> {
  counter += 1;
  const email = `agent${counter}@example.edu`;
  const displayName = `Agent ${counter}`;
  const { id } = await createTestUser(database.db, { email, displayName, role });
  return { id, email, displayName, role, sessionId: `session-${id}` };
}

async function newPerson(): Promise<Person> {
  counter += 1;
  const email = `caller${counter}@example.edu`;
  const displayName = `Caller ${counter}`;
  const { id } = await createTestUser(database.db, { email, displayName, role: "user" });
  return { id, email, displayName, role: "user" };
}

/** A personal address added and verified in Security info, as the person would. */
async function addAlternateEmail(person: Person | Agent): Promise<string> {
  const address = `${person.email.split("@")[0]}.home@example.org`;
  const user = { id: person.id, email: person.email, displayName: person.displayName };
  await beginAlternateEmail(database.db, user, "session-own", address, context);
  const code = /\b(\d{8})\b/.exec(await lastEmailTo(address))![1]!;
  expect(
    await confirmAlternateEmail(database.db, user, "session-own", code, context),
  ).toMatchObject({ ok: true });
  return address;
}

/** The newest email to an address, opened. */
async function lastEmailTo(address: string): Promise<string> {
  const [row] = await database.db
    .select()
    .from(outbox)
    .where(and(eq(outbox.recipient, address), eq(outbox.channel, "email")))
    .orderBy(desc(outbox.id))
    .limit(1);
  return openBody(row!)!;
}

/** An active mobile phone that takes texts; its own number, so send limits do not leak. */
async function addMobile(userId: string): Promise<{ methodId: string; e164: string }> {
  counter += 1;
  const e164 = `+4479112${String(counter).padStart(5, "0")}`;
  return { methodId: await addMobilePhone(database.db, userId, e164), e164 };
}

async function textedCode(e164: string): Promise<string> {
  const [row] = await database.db
    .select()
    .from(outbox)
    .where(and(eq(outbox.recipient, e164), eq(outbox.channel, "sms")))
    .orderBy(desc(outbox.id))
    .limit(1);
  return /\b(\d{6})\b/.exec(openBody(row!)!)![1]!;
}

const otherCode = (code: string) => (code === "000000" ? "111111" : "000000");

async function auditsOf(subjectId: string) {
  return database.db
    .select({
      action: auditLog.action,
      outcome: auditLog.outcome,
      actorId: auditLog.actorId,
      details: auditLog.details,
    })
    .from(auditLog)
    .where(eq(auditLog.subjectId, subjectId))
    .orderBy(auditLog.id);
}

async function checksOf(userId: string) {
  return database.db
    .select()
    .from(callerVerifications)
    .where(eq(callerVerifications.userId, userId))
    .orderBy(callerVerifications.createdAt);
}

/** Moves a check's times back, as if it had been made `ms` ago (the database's clock runs on). */
async function age(verificationId: string, ms: number) {
  const by = sql`make_interval(secs => ${ms / 1000})`;
  await database.db
    .update(callerVerifications)
    .set({
      createdAt: sql`${callerVerifications.createdAt} - ${by}`,
      expiresAt: sql`${callerVerifications.expiresAt} - ${by}`,
      endedAt: sql`${callerVerifications.endedAt} - ${by}`,
    })
    .where(eq(callerVerifications.id, verificationId));
}

// ── the companion phone, played by WebCrypto keys as in lib/mfa/companion.test.ts ──

type Phone = { keys: CryptoKeyPair; deviceId: string };

async function signWith(keys: CryptoKeyPair, message: string): Promise<string> {
  const signature = await webcrypto.subtle.sign(
    { name: "ECDSA", hash: "SHA-256" },
    keys.privateKey,
    new TextEncoder().encode(message),
  );
  return Buffer.from(signature).toString("base64url");
}

async function pairPhone(userId: string): Promise<Phone> {
  const { token } = accepted(await beginPairing(database.db, userId));
  const keys = await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, [
    "sign",
    "verify",
  ]);
  const spki = await webcrypto.subtle.exportKey("spki", keys.publicKey);
  const paired = await completePairing(database.db, {
    token,
    publicKey: Buffer.from(spki).toString("base64url"),
    name: "Pixel",
    signature: await signWith(keys, pairingMessage(token)),
  });
  if (!paired.ok) throw new Error("pairing failed");
  expect(
    await confirmPairedPhone(database.db, userId, await totpCode(paired.secret)),
  ).toMatchObject({ ok: true });
  return { keys, deviceId: paired.deviceId };
}

/** The phone answers the request of a check: approve with the number read out, or deny. */
async function answerOnPhone(
  phone: Phone,
  verificationId: string,
  answer: { approve: string } | "deny" | "not me",
) {
  const [row] = await database.db
    .select({ id: pushRequests.id, challenge: pushRequests.challenge })
    .from(pushRequests)
    .where(eq(pushRequests.transactionId, verificationId));
  const decision = typeof answer === "object" ? "approve" : "deny";
  const number = typeof answer === "object" ? answer.approve : "";
  const fraud = answer === "not me";
  const signature = await signWith(
    phone.keys,
    answerMessage({ requestId: row!.id, challenge: row!.challenge, decision, number, fraud }),
  );
  return answerPushRequest(
    database.db,
    { deviceId: phone.deviceId, requestId: row!.id, decision, number, fraud, signature },
    context,
  );
}

describe("a code texted to the person and read back (R-A10.4)", () => {
  it("is random, kept only as a hash, never logged, and verifies the caller once (R-A3.5)", async () => {
    const agent = await newAgent();
    const person = await newPerson();
    const { methodId, e164 } = await addMobile(person.id);
    expect(await getCallerVerificationOptions(database.db, person)).toEqual({
      push: false,
      phones: [{ id: methodId, name: expect.stringMatching(/^Phone \+44 •••• ••• \d{3}$/) }],
      alternateEmail: null,
    });

    const sent = await startTextVerification(database.db, agent, person.id, methodId, context);
    expect(sent).toMatchObject({ ok: true, sentTo: expect.stringContaining("•••") });
    const code = await textedCode(e164);
    const [message] = await database.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.recipient, e164), eq(outbox.channel, "sms")));
    // Sealed at rest like every code, and the text says who may hear it.
    expect(message!.sensitive).toBe(true);
    expect(message!.body).not.toContain(code);
    expect(openBody(message!)).toMatch(/helpdesk.*only if you called the helpdesk yourself/);

    const [check] = await checksOf(person.id);
    expect(check).toMatchObject({ agentId: agent.id, method: "sms", status: "pending" });
    expect(check!.codeHash).not.toContain(code);
    expect(check!.expiresAt.getTime() - check!.createdAt.getTime()).toBeCloseTo(
      CALLER_CODE_TTL_MS,
      -3,
    );

    const checked = await checkCallerCode(database.db, agent, person.id, code, context);
    expect(checked).toMatchObject({ ok: true, verifiedAt: expect.any(Date) });
    expect(await getVerifiedCaller(database.db, agent.id, person.id)).toMatchObject({
      method: "sms",
    });
    // Spent: the same code again finds nothing waiting.
    expect(await checkCallerCode(database.db, agent, person.id, code, context)).toMatchObject({
      ok: false,
      reason: "no_code",
    });

    const audits = (await auditsOf(person.id)).filter((a) => a.action.startsWith("admin."));
    expect(audits.map((a) => [a.action, a.outcome])).toEqual([
      ["admin.caller.verification_sent", "success"],
      ["admin.caller.verified", "success"],
    ]);
    expect(audits.every((a) => a.actorId === agent.id)).toBe(true);
    expect(JSON.stringify(audits)).not.toContain(code);

    const view = await getCallerVerificationView(database.db, agent.id, person.id);
    expect(view.verified).toMatchObject({ method: "sms", byYou: true, agent: agent.displayName });
    expect(view.waitingCode).toBeNull();
  });

  it("counts wrong codes and kills the code at the third: the agent must text a new one", async () => {
    const agent = await newAgent();
    const person = await newPerson();
    const { methodId, e164 } = await addMobile(person.id);
    await startTextVerification(database.db, agent, person.id, methodId, context);
    const code = await textedCode(e164);

    // Not six digits: cannot be right, so not counted.
    expect(await checkCallerCode(database.db, agent, person.id, "12ab", context)).toMatchObject({
      ok: false,
      reason: "malformed",
    });
    for (let i = 1; i < CALLER_CODE_MAX_FAILURES; i++) {
      const wrong = await checkCallerCode(database.db, agent, person.id, otherCode(code), context);
      expect(wrong).toMatchObject({ ok: false, reason: "wrong_code" });
    }
    const last = await checkCallerCode(database.db, agent, person.id, otherCode(code), context);
    expect(last).toMatchObject({ ok: false, reason: "dead" });
    // Dead: even the right code no longer verifies.
    expect(await checkCallerCode(database.db, agent, person.id, code, context)).toMatchObject({
      ok: false,
      reason: "no_code",
    });
    const [dead] = await checksOf(person.id);
    expect(dead).toMatchObject({ status: "failed", failures: CALLER_CODE_MAX_FAILURES });
    expect(await getVerifiedCaller(database.db, agent.id, person.id)).toBeNull();
    const view = await getCallerVerificationView(database.db, agent.id, person.id);
    expect(view.failed).toMatchObject({ method: "sms", how: "failed" });
    expect(
      (await auditsOf(person.id)).filter((a) => a.action === "admin.caller.verification_failed"),
    ).toHaveLength(CALLER_CODE_MAX_FAILURES);

    // Restarted: a new code, which works.
    await startTextVerification(database.db, agent, person.id, methodId, context);
    const fresh = await textedCode(e164);
    expect(await checkCallerCode(database.db, agent, person.id, fresh, context)).toMatchObject({
      ok: true,
    });
  });

  it("expires after 10 minutes, and a new code replaces the one before", async () => {
    const agent = await newAgent();
    const person = await newPerson();
    const { methodId, e164 } = await addMobile(person.id);
    const first = await startTextVerification(database.db, agent, person.id, methodId, context);
    const firstCode = await textedCode(e164);
    await startTextVerification(database.db, agent, person.id, methodId, context);
    const secondCode = await textedCode(e164);
    if (firstCode !== secondCode) {
      expect(
        await checkCallerCode(database.db, agent, person.id, firstCode, context),
      ).toMatchObject({ ok: false, reason: "wrong_code" });
    }
    expect((await checksOf(person.id)).map((c) => c.status)).toEqual(["replaced", "pending"]);
    expect(first.ok).toBe(true);

    const [, live] = await checksOf(person.id);
    await age(live!.id, CALLER_CODE_TTL_MS + 1000);
    expect(await checkCallerCode(database.db, agent, person.id, secondCode, context)).toMatchObject(
      { ok: false, reason: "expired" },
    );
    expect((await checksOf(person.id)).map((c) => c.status).sort()).toEqual([
      "expired",
      "replaced",
    ]);
    expect(await getVerifiedCaller(database.db, agent.id, person.id)).toBeNull();
  });

  it("is bound to the agent who texted it and to the person", async () => {
    const agent = await newAgent();
    const colleague = await newAgent();
    const person = await newPerson();
    const other = await newPerson();
    const { methodId, e164 } = await addMobile(person.id);
    await addMobile(other.id);
    await startTextVerification(database.db, agent, person.id, methodId, context);
    const code = await textedCode(e164);

    // Another agent, or another person's page, finds no code of theirs.
    expect(await checkCallerCode(database.db, colleague, person.id, code, context)).toMatchObject({
      ok: false,
      reason: "no_code",
    });
    expect(await checkCallerCode(database.db, agent, other.id, code, context)).toMatchObject({
      ok: false,
      reason: "no_code",
    });
    // Another person's phone cannot be texted from this page.
    const [othersPhone] = await database.db
      .select({ id: mfaMethods.id })
      .from(mfaMethods)
      .where(eq(mfaMethods.userId, other.id));
    expect(
      await startTextVerification(database.db, agent, person.id, othersPhone!.id, context),
    ).toMatchObject({ ok: false, reason: "unavailable" });

    expect(await checkCallerCode(database.db, agent, person.id, code, context)).toMatchObject({
      ok: true,
    });
    // Everyone sees it; it counts only for the agent who made it.
    expect(await getVerifiedCaller(database.db, colleague.id, person.id)).toBeNull();
    const seen = await getCallerVerificationView(database.db, colleague.id, person.id);
    expect(seen.verified).toMatchObject({ byYou: false, agent: agent.displayName });
  });

  it("keeps to the phone send limits (R-A5.4)", async () => {
    process.env.PHONE_SEND_INTERVAL_SECONDS = "60";
    resetEnv();
    const agent = await newAgent();
    const person = await newPerson();
    const { methodId } = await addMobile(person.id);
    expect(
      await startTextVerification(database.db, agent, person.id, methodId, context),
    ).toMatchObject({ ok: true });
    const again = await startTextVerification(database.db, agent, person.id, methodId, context);
    expect(again).toMatchObject({ ok: false, reason: "limit" });
    expect(!again.ok && again.message).toMatch(
      /Try again in \d+ (seconds|minutes?), or send a request/,
    );
    expect(
      await database.db.select().from(outbox).where(eq(outbox.userId, person.id)),
    ).toHaveLength(1);
    expect((await auditsOf(person.id)).at(-1)).toMatchObject({
      action: "admin.caller.verification_sent",
      outcome: "denied",
    });
  });

  it("is refused to a helpdesk agent for an administrator or themselves, and recorded (R-A16.4)", async () => {
    const agent = await newAgent();
    const admin = await newAgent("admin");
    for (const subject of [admin.id, agent.id]) {
      const refused = await startTextVerification(database.db, agent, subject, subject, context);
      expect(refused).toMatchObject({ ok: false, reason: "refused" });
      expect((await auditsOf(subject)).at(-1)).toMatchObject({
        action: "admin.caller.verification_sent",
        outcome: "denied",
        actorId: agent.id,
      });
    }
  });
});

describe("a code emailed to the person's alternate email and read back (R-A10.4)", () => {
  it("goes to the verified alternate email, never the account's own, and verifies the caller once", async () => {
    const agent = await newAgent();
    const person = await newPerson();
    // Without one, there is nothing to email: the account's own address is never used.
    expect((await getCallerVerificationOptions(database.db, person)).alternateEmail).toBeNull();
    expect(await startEmailVerification(database.db, agent, person.id, context)).toMatchObject({
      ok: false,
      reason: "unavailable",
      message: "This person has no verified alternate email to send a code to.",
    });
    expect(await checksOf(person.id)).toEqual([]);

    const address = await addAlternateEmail(person);
    const masked = `${address[0]}•••@example.org`;
    expect((await getCallerVerificationOptions(database.db, person)).alternateEmail).toBe(masked);
    const sent = await startEmailVerification(database.db, agent, person.id, context);
    expect(sent).toMatchObject({ ok: true, sentTo: masked });
    const body = await lastEmailTo(address);
    expect(body).toMatch(/helpdesk.*only if you called the helpdesk yourself/);
    expect(body).not.toMatch(/https?:/);
    const code = /\b(\d{8})\b/.exec(body)![1]!;
    // Nothing with a code went to the account's own address.
    const toAccount = await database.db
      .select({ id: outbox.id })
      .from(outbox)
      .where(and(eq(outbox.recipient, person.email), eq(outbox.sensitive, true)));
    expect(toAccount).toEqual([]);

    const [check] = await checksOf(person.id);
    expect(check).toMatchObject({ agentId: agent.id, method: "email", status: "pending" });
    expect(check!.codeHash).not.toContain(code);
    expect(
      (await getCallerVerificationView(database.db, agent.id, person.id)).waitingCode,
    ).toMatchObject({ method: "email", sentTo: masked });

    // A text's six digits are not an emailed code's eight: not counted.
    expect(
      await checkCallerCode(database.db, agent, person.id, code.slice(0, 6), context),
    ).toMatchObject({
      ok: false,
      reason: "malformed",
      message: "Enter the 8 digits the caller reads to you.",
    });
    const wrong = code === "00000000" ? "11111111" : "00000000";
    expect(await checkCallerCode(database.db, agent, person.id, wrong, context)).toMatchObject({
      ok: false,
      reason: "wrong_code",
    });
    expect(await checkCallerCode(database.db, agent, person.id, code, context)).toMatchObject({
      ok: true,
    });
    expect(await getVerifiedCaller(database.db, agent.id, person.id)).toMatchObject({
      method: "email",
    });
    expect(await checkCallerCode(database.db, agent, person.id, code, context)).toMatchObject({
      ok: false,
      reason: "no_code",
    });
    const audits = (await auditsOf(person.id)).filter((a) => a.action.startsWith("admin."));
    expect(
      audits.map((a) => [a.action, a.outcome, (a.details as { method?: string }).method]),
    ).toEqual([
      ["admin.caller.verification_sent", "success", "email"],
      ["admin.caller.verification_failed", "failure", "email"],
      ["admin.caller.verified", "success", "email"],
    ]);
    expect(JSON.stringify(audits)).not.toContain(code);
  });

  it("replaces a texted code, and the texted one stops working", async () => {
    const agent = await newAgent();
    const person = await newPerson();
    const { methodId, e164 } = await addMobile(person.id);
    const address = await addAlternateEmail(person);
    await startTextVerification(database.db, agent, person.id, methodId, context);
    const texted = await textedCode(e164);
    await startEmailVerification(database.db, agent, person.id, context);
    const emailed = /\b(\d{8})\b/.exec(await lastEmailTo(address))![1]!;
    expect((await checksOf(person.id)).map((c) => [c.method, c.status])).toEqual([
      ["sms", "replaced"],
      ["email", "pending"],
    ]);
    expect(await checkCallerCode(database.db, agent, person.id, emailed, context)).toMatchObject({
      ok: true,
    });
    // Replaced, the texted code is waiting no more: it cannot verify a second time.
    expect(await checkCallerCode(database.db, agent, person.id, texted, context)).toMatchObject({
      ok: false,
      reason: "no_code",
    });
    expect((await checksOf(person.id)).filter((c) => c.status === "verified")).toHaveLength(1);
  });

  it("keeps to the emailed codes' limits (R-A5.4), counted apart from the person's own codes, and is not offered for an agent's account (R-A5.6)", async () => {
    process.env.PHONE_SEND_INTERVAL_SECONDS = "60";
    resetEnv();
    const agent = await newAgent();
    const person = await newPerson();
    const address = await addAlternateEmail(person);
    // The address's own verification code went a moment ago, and anyone who knows the account's
    // email can ask for codes of the person's own (a reset): neither holds the helpdesk back.
    expect(await emailCodeAllowance(database.db, person.id, address)).toBeGreaterThan(0);
    expect(await startEmailVerification(database.db, agent, person.id, context)).toMatchObject({
      ok: true,
    });
    // A second at once is past the spacing.
    const refused = await startEmailVerification(database.db, agent, person.id, context);
    expect(refused).toMatchObject({ ok: false, reason: "limit" });
    expect(refused.ok ? "" : refused.message).toMatch(
      /^Their alternate email has had as many codes as it may for now\. Try again in \d+ seconds/,
    );
    expect((await checksOf(person.id)).map((c) => c.status)).toEqual(["pending"]);
    // Nor does the helpdesk's code use up the person's own allowance beyond what it was.
    await database.db
      .update(outbox)
      .set({ createdAt: sql`${outbox.createdAt} - interval '2 minutes'` })
      .where(and(eq(outbox.recipient, address), eq(outbox.channel, "email")));
    await startEmailVerification(database.db, agent, person.id, context);
    expect(await emailCodeAllowance(database.db, person.id, address)).toBe(0);

    const admin = await newAgent("admin");
    const colleague = await newAgent("helpdesk");
    await addAlternateEmail(colleague);
    expect((await getCallerVerificationOptions(database.db, colleague)).alternateEmail).toBeNull();
    expect(await startEmailVerification(database.db, admin, colleague.id, context)).toMatchObject({
      ok: false,
      reason: "unavailable",
    });
  });
});

describe("a request to the person's Authenticator app (R-A10.4, R-A6.1)", () => {
  it("shows the phone who asks and why; approving with the number read out verifies the caller", async () => {
    const agent = await newAgent();
    const person = await newPerson();
    const phone = await pairPhone(person.id);
    expect((await getCallerVerificationOptions(database.db, person)).push).toBe(true);

    const started = await startPushVerification(database.db, agent, person.id, context);
    if (!started.ok) throw new Error(started.message);
    expect(started.number).toMatch(/^\d{2}$/);
    // Asking again shows the same request rather than sending a second.
    expect(await startPushVerification(database.db, agent, person.id, context)).toEqual(started);

    const device = await getDevice(database.db, phone.deviceId);
    const [pending] = await listPendingPushes(database.db, device!);
    expect(pending).toMatchObject({
      purpose: "helpdesk_verification",
      helpdesk: agent.displayName,
      app: expect.stringMatching(/helpdesk$/),
      ip: null,
    });
    const [row] = await database.db
      .select()
      .from(pushRequests)
      .where(eq(pushRequests.id, pending!.id));
    expect(pushNumber(row!.id, row!.challenge)).toBe(started.number);

    const id = started.verificationId;
    expect(await getPushVerificationStatus(database.db, agent.id, person.id, id)).toBe("pending");
    expect(await finishPushVerification(database.db, agent, person.id, id, context)).toMatchObject({
      ok: false,
      reason: "pending",
    });
    expect(await answerOnPhone(phone, id, { approve: started.number })).toBe("approved");
    expect(await getPushVerificationStatus(database.db, agent.id, person.id, id)).toBe("approved");
    // Another agent cannot see or settle it.
    const colleague = await newAgent();
    expect(await getPushVerificationStatus(database.db, colleague.id, person.id, id)).toBe("gone");
    expect(
      await finishPushVerification(database.db, colleague, person.id, id, context),
    ).toMatchObject({ ok: false, reason: "gone" });

    const finished = await finishPushVerification(database.db, agent, person.id, id, context);
    expect(finished).toMatchObject({ ok: true });
    // Settled once: asking again answers the same, and the approval is used up.
    expect(await finishPushVerification(database.db, agent, person.id, id, context)).toMatchObject({
      ok: true,
    });
    const [used] = await database.db
      .select({ status: pushRequests.status })
      .from(pushRequests)
      .where(eq(pushRequests.id, row!.id));
    expect(used!.status).toBe("used");
    expect(await getVerifiedCaller(database.db, agent.id, person.id)).toMatchObject({
      method: "push",
    });
    expect(
      (await auditsOf(person.id))
        .filter((a) => a.action.startsWith("admin.caller."))
        .map((a) => [a.action, a.outcome]),
    ).toEqual([
      ["admin.caller.verification_sent", "success"],
      ["admin.caller.verified", "success"],
    ]);
  });

  it("records a denied request as denied, and “This wasn't me” as reported, and tells the person", async () => {
    const agent = await newAgent();
    const person = await newPerson();
    const phone = await pairPhone(person.id);

    const first = await startPushVerification(database.db, agent, person.id, context);
    if (!first.ok) throw new Error(first.message);
    expect(await answerOnPhone(phone, first.verificationId, "deny")).toBe("denied");
    expect(
      await getPushVerificationStatus(database.db, agent.id, person.id, first.verificationId),
    ).toBe("denied");
    expect(
      await finishPushVerification(database.db, agent, person.id, first.verificationId, context),
    ).toMatchObject({ ok: false, reason: "denied" });
    let view = await getCallerVerificationView(database.db, agent.id, person.id);
    expect(view).toMatchObject({ verified: null, failed: { method: "push", how: "denied" } });

    const second = await startPushVerification(database.db, agent, person.id, context);
    if (!second.ok) throw new Error(second.message);
    expect(await answerOnPhone(phone, second.verificationId, "not me")).toBe("denied");
    expect(
      await finishPushVerification(database.db, agent, person.id, second.verificationId, context),
    ).toMatchObject({ ok: false, reason: "reported" });
    view = await getCallerVerificationView(database.db, agent.id, person.id);
    expect(view.failed).toMatchObject({ how: "reported" });
    expect((await checksOf(person.id)).map((c) => c.status)).toEqual(["denied", "reported"]);
    expect(await getVerifiedCaller(database.db, agent.id, person.id)).toBeNull();

    const audits = (await auditsOf(person.id)).filter(
      (a) => a.action === "admin.caller.verification_failed",
    );
    expect(audits.map((a) => [a.outcome, a.details?.answer])).toEqual([
      ["denied", "denied"],
      ["denied", "reported"],
    ]);
    const notices = await database.db
      .select({ subject: outbox.subject })
      .from(outbox)
      .where(and(eq(outbox.userId, person.id), eq(outbox.channel, "email")));
    expect(notices.map((n) => n.subject)).toContain("You reported a helpdesk request");
    // "This wasn't me" pauses requests to the phone (R-A6.4).
    expect(await startPushVerification(database.db, agent, person.id, context)).toMatchObject({
      ok: false,
      reason: "paused",
    });
  });
});

describe("the organisation's rule: check the caller first (R-A10.4)", () => {
  it("refuses a password reset, a pass and an MFA reset without the agent's own check from the last 10 minutes, then allows them and cites it", async () => {
    const admin = await newAgent("admin");
    const agent = await newAgent();
    const colleague = await newAgent();
    const person = await newPerson();
    const { methodId, e164 } = await addMobile(person.id);
    await changeSettings(database.db, admin.id, { caller_verification_required: true });
    try {
      for (const act of [resetPassword, issueAccessPassTo, requireReregister]) {
        const refused = await act(database.db, agent, person.id, why, context);
        expect(refused).toEqual({
          ok: false,
          reason: "refused",
          message: CALLER_NOT_VERIFIED_MESSAGE,
        });
      }
      const refusals = (await auditsOf(person.id)).filter((a) => a.outcome === "denied");
      expect(refusals.map((a) => [a.action, a.details?.refused])).toEqual([
        ["admin.password.reset", "caller_not_verified"],
        ["admin.pass.issued", "caller_not_verified"],
        ["admin.mfa.reregister_required", "caller_not_verified"],
      ]);

      // A colleague's check proves who was on the colleague's call, not on this one.
      await startTextVerification(database.db, colleague, person.id, methodId, context);
      await checkCallerCode(database.db, colleague, person.id, await textedCode(e164), context);
      expect(await resetPassword(database.db, agent, person.id, why, context)).toMatchObject({
        ok: false,
        message: CALLER_NOT_VERIFIED_MESSAGE,
      });

      await startTextVerification(database.db, agent, person.id, methodId, context);
      const verified = await checkCallerCode(
        database.db,
        agent,
        person.id,
        await textedCode(e164),
        context,
      );
      if (!verified.ok) throw new Error(verified.message);
      expect(await resetPassword(database.db, agent, person.id, why, context)).toMatchObject({
        ok: true,
      });
      expect(await issueAccessPassTo(database.db, agent, person.id, why, context)).toMatchObject({
        ok: true,
      });
      // The MFA reset removes the phone the code went to; the check still stands.
      expect(await requireReregister(database.db, agent, person.id, why, context)).toMatchObject({
        ok: true,
      });
      const cited = (await auditsOf(person.id)).filter(
        (a) =>
          a.outcome === "success" &&
          a.action.startsWith("admin.") &&
          !a.action.startsWith("admin.caller."),
      );
      expect(cited.map((a) => a.action)).toEqual([
        "admin.password.reset",
        "admin.pass.issued",
        "admin.mfa.reregister_required",
      ]);
      for (const record of cited) {
        expect(record.details).toMatchObject({
          verifiedBy: "sms",
          verifiedAt: verified.verifiedAt.toISOString(),
        });
      }

      // Ten minutes later the check no longer counts.
      const [mine] = await database.db
        .select({ id: callerVerifications.id })
        .from(callerVerifications)
        .where(
          and(
            eq(callerVerifications.agentId, agent.id),
            eq(callerVerifications.status, "verified"),
          ),
        );
      await age(mine!.id, 10 * 60_000 + 1000);
      expect(await resetPassword(database.db, agent, person.id, why, context)).toMatchObject({
        ok: false,
        message: CALLER_NOT_VERIFIED_MESSAGE,
      });
      expect(
        (await getCallerVerificationView(database.db, agent.id, person.id)).verified,
      ).toMatchObject({ byYou: false });
    } finally {
      await changeSettings(database.db, admin.id, { caller_verification_required: null });
    }
  });

  it("with the rule off, lets the actions through and cites a check when there is one", async () => {
    const agent = await newAgent();
    const person = await newPerson();
    const { methodId, e164 } = await addMobile(person.id);
    expect(await resetPassword(database.db, agent, person.id, why, context)).toMatchObject({
      ok: true,
    });
    await startTextVerification(database.db, agent, person.id, methodId, context);
    await checkCallerCode(database.db, agent, person.id, await textedCode(e164), context);
    expect(await resetPassword(database.db, agent, person.id, why, context)).toMatchObject({
      ok: true,
    });
    const resets = (await auditsOf(person.id)).filter((a) => a.action === "admin.password.reset");
    expect(resets[0]!.details).not.toHaveProperty("verifiedBy");
    expect(resets[1]!.details).toMatchObject({ verifiedBy: "sms", verifiedAt: expect.any(String) });
  });
});
