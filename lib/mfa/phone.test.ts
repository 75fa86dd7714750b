import { and, desc, eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { verifyPasswordStep } from "@/lib/auth/password-step";
import { mfaMethods, outbox, phoneChallenges } from "@/lib/db/schema";
import { openBody } from "@/lib/notify/message-body";
import { accepted } from "@/lib/testing/enrolment";
import { createTestDatabase } from "@/lib/testing/test-database";
import { getMethodSummary } from "./methods";
import { answerCall } from "./phone-calls";
import { getPendingPhone } from "./phone";
import {
  checkTextCode,
  CODE_FAILURE_LIMIT,
  consumeApprovedCall,
  getCallStatus,
  getPhoneSendWait,
  sendPhoneChallenge,
  type ChallengeBinding,
} from "./phone-challenges";
import { activatePhone, beginPhoneEnrolment } from "./phone-enrolment";
import { maskPhone, parsePhone, shortPhone } from "./phone-numbers";
import { effectiveDefault, kindOffered } from "./registry";
import { verifySecondFactor } from "./second-factor";
import { createTestUser } from "@/lib/testing/users";

const context = { ip: "192.0.2.7", userAgent: "vitest" };
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let counter = 0;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.dispose();
});
beforeEach(() => {
  // Limits that a test can reach without waiting: no spacing, a few sends an hour.
  process.env.PHONE_SEND_INTERVAL_SECONDS = "0";
  resetEnv();
});

function resetEnv() {
  (globalThis as { __factorEnv?: unknown }).__factorEnv = undefined;
}

async function newUser(role: "user" | "admin" = "user") {
  counter += 1;
  const email = `phone${counter}@example.edu`;
  const { id, password } = await createTestUser(database.db, {
    email,
    displayName: "Pat Phone",
    role,
  });
  return { id, email, displayName: "Pat Phone", password };
}

const passwordStep = (user: { email: string; password: string }) =>
  verifyPasswordStep(
    database.db,
    { email: user.email, password: user.password, callbackPath: "/" },
    { ip: "192.0.2.9", userAgent: "vitest" },
  );

/** A unique valid UK mobile number per call, so per-number limits do not leak between tests. */
function mobile(): string {
  counter += 1;
  return `+4479111${String(counter).padStart(5, "0")}`;
}

async function lastCode(recipient: string): Promise<string> {
  const [row] = await database.db
    .select()
    .from(outbox)
    .where(and(eq(outbox.recipient, recipient), eq(outbox.channel, "sms")))
    .orderBy(desc(outbox.id))
    .limit(1);
  const body = openBody(row!);
  return /(\d{6})/.exec(body!)![1]!;
}

function startPhone(userId: string, e164: string, kind = "mobile_phone" as const) {
  return beginPhoneEnrolment(database.db, userId, {
    kind,
    e164,
    extension: null,
    channel: "sms",
    replaces: null,
    bindingId: "sign-in:test",
  });
}

async function pendingPhone(userId: string, e164 = mobile(), kind = "mobile_phone" as const) {
  return { methodId: accepted(await startPhone(userId, e164, kind)), e164 };
}

describe("phone numbers", () => {
  it("parses national input in the chosen country into E.164 and masks it", () => {
    const parsed = parsePhone("07400 123456", "GB", { allowedCountries: [], needsMobile: true });
    expect(parsed).toEqual({
      ok: true,
      phone: { e164: "+447400123456", country: "GB", callingCode: "44" },
    });
    expect(maskPhone("+447400123456")).toBe("+44 •••• ••• 456");
    expect(shortPhone("+447400123456")).toBe("+44 XXXXXXXX56");
  });

  it("refuses numbers that are not valid, not allowed or cannot take a text", () => {
    const any = { allowedCountries: [], needsMobile: false };
    expect(parsePhone("12", "GB", any)).toEqual({ ok: false, reason: "invalid" });
    expect(parsePhone("<script>", "GB", any)).toEqual({ ok: false, reason: "invalid" });
    expect(parsePhone("07700 900123", "GB", any)).toEqual({ ok: false, reason: "invalid" });
    expect(
      parsePhone("+353 85 123 4567", "GB", { allowedCountries: ["GB"], needsMobile: false }),
    ).toEqual({ ok: false, reason: "country_not_allowed" });
    expect(parsePhone("020 7946 0018", "GB", { allowedCountries: [], needsMobile: true })).toEqual({
      ok: false,
      reason: "not_mobile",
    });
  });
});

describe("text message codes", () => {
  it("registers a phone only once the code sent to it is entered (R-A5.5)", async () => {
    const user = await newUser();
    const { methodId, e164 } = await pendingPhone(user.id);
    const binding: ChallengeBinding = { userId: user.id, purpose: "enrol", transactionId: null };
    expect((await getMethodSummary(database.db, user.id)).methods).toHaveLength(0);

    const sent = await sendPhoneChallenge(database.db, user, binding, methodId, "sms", context);
    expect(sent.ok).toBe(true);
    const [message] = await database.db.select().from(outbox).where(eq(outbox.recipient, e164));
    // R-A5.8: the code, the organisation, a warning, no link — and never at rest in the clear.
    const code = await lastCode(e164);
    expect(openBody(message!)).toBe(
      `Your Example University verification code is ${code}. Don't share it.`,
    );
    expect(message!.body).not.toContain(code);

    // Another browser's registration sees no pending phone and cannot use this code (R-A1.6).
    expect(await getPendingPhone(database.db, user.id, "sign-in:other")).toBeNull();
    expect(await getPendingPhone(database.db, user.id, "sign-in:test")).toMatchObject({
      id: methodId,
    });
    const elsewhere: ChallengeBinding = { ...binding, transactionId: "sign-in:other" };
    expect(await checkTextCode(database.db, elsewhere, { methodId }, code)).toBe(false);

    expect(await checkTextCode(database.db, binding, { methodId }, code)).toBe(true);
    expect(await activatePhone(database.db, user.id, methodId)).not.toBeNull();
    const summary = await getMethodSummary(database.db, user.id);
    expect(summary.methods.map((m) => [m.kind, m.label])).toEqual([
      ["mobile_phone", maskPhone(e164)],
    ]);
    // A used code does not work twice.
    expect(await checkTextCode(database.db, binding, { methodId }, code)).toBe(false);
  });

  it("kills a code after five wrong tries, and a resend neither revives it nor resets the count (R-A5.3)", async () => {
    const user = await newUser();
    const { methodId, e164 } = await pendingPhone(user.id);
    const binding: ChallengeBinding = { userId: user.id, purpose: "enrol", transactionId: null };
    await sendPhoneChallenge(database.db, user, binding, methodId, "sms", context);
    const first = await lastCode(e164);
    const wrong = first === "000000" ? "111111" : "000000";
    for (let i = 0; i < 3; i++)
      expect(await checkTextCode(database.db, binding, { methodId }, wrong)).toBe(false);

    // Resend: the previous code stops working, the failures stay.
    await sendPhoneChallenge(database.db, user, binding, methodId, "sms", context);
    const second = await lastCode(e164);
    const [afterResend] = await database.db
      .select()
      .from(phoneChallenges)
      .where(eq(phoneChallenges.methodId, methodId));
    expect(afterResend!.failures).toBe(3);
    if (second !== first)
      expect(await checkTextCode(database.db, binding, { methodId }, first)).toBe(false);
    else expect(await checkTextCode(database.db, binding, { methodId }, wrong)).toBe(false);

    while (
      (
        await database.db
          .select()
          .from(phoneChallenges)
          .where(eq(phoneChallenges.methodId, methodId))
      )[0]!.failures < CODE_FAILURE_LIMIT
    ) {
      await checkTextCode(database.db, binding, { methodId }, wrong);
    }
    // Dead: even the right code fails, and no new code is sent for it.
    expect(await checkTextCode(database.db, binding, { methodId }, second)).toBe(false);
    expect(await sendPhoneChallenge(database.db, user, binding, methodId, "sms", context)).toEqual({
      ok: false,
      reason: "dead",
    });
  });

  it("refuses an expired code", async () => {
    const user = await newUser();
    const { methodId, e164 } = await pendingPhone(user.id);
    const binding: ChallengeBinding = { userId: user.id, purpose: "enrol", transactionId: null };
    await sendPhoneChallenge(database.db, user, binding, methodId, "sms", context);
    await database.db
      .update(phoneChallenges)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(phoneChallenges.methodId, methodId));
    expect(await checkTextCode(database.db, binding, { methodId }, await lastCode(e164))).toBe(
      false,
    );
  });

  it("binds a sign-in code to its transaction and phone", async () => {
    const user = await newUser();
    const { methodId, e164 } = await pendingPhone(user.id);
    const enrol: ChallengeBinding = { userId: user.id, purpose: "enrol", transactionId: null };
    await sendPhoneChallenge(database.db, user, enrol, methodId, "sms", context);
    await checkTextCode(database.db, enrol, { methodId }, await lastCode(e164));
    await activatePhone(database.db, user.id, methodId);

    const signIn: ChallengeBinding = { userId: user.id, purpose: "sign_in", transactionId: "t1" };
    await sendPhoneChallenge(database.db, user, signIn, methodId, "sms", context);
    const code = await lastCode(e164);
    const other: ChallengeBinding = { ...signIn, transactionId: "t2" };
    expect(await checkTextCode(database.db, other, { methodId }, code)).toBe(false);
    const result = await verifySecondFactor(database.db, user, "sms", code, {
      ...context,
      purpose: "sign_in",
      transactionId: "t1",
      methodId,
    });
    expect(result).toEqual({ ok: true, amr: "sms" });
  });
});

describe("send limits (R-A5.4)", () => {
  it("spaces sends, caps them per hour, and answers alike for any number", async () => {
    process.env.PHONE_SEND_INTERVAL_SECONDS = "60";
    resetEnv();
    const user = await newUser();
    const { methodId } = await pendingPhone(user.id);
    const binding: ChallengeBinding = { userId: user.id, purpose: "enrol", transactionId: null };
    expect(
      (await sendPhoneChallenge(database.db, user, binding, methodId, "sms", context)).ok,
    ).toBe(true);
    const refused = await sendPhoneChallenge(database.db, user, binding, methodId, "sms", context);
    expect(refused).toMatchObject({ ok: false, reason: "limit" });
    expect((refused as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(55);

    // The same number registered by someone else is limited too (harassment, toll fraud).
    const stranger = await newUser();
    const [pending] = await database.db
      .select({ data: mfaMethods.data })
      .from(mfaMethods)
      .where(eq(mfaMethods.id, methodId));
    const theirs = await pendingPhone(stranger.id, pending!.data!.e164 as string);
    const strangerSend = await sendPhoneChallenge(
      database.db,
      stranger,
      { userId: stranger.id, purpose: "enrol", transactionId: null },
      theirs.methodId,
      "sms",
      context,
    );
    expect(strangerSend).toMatchObject({ ok: false, reason: "limit" });
  });

  it("keeps a verified owner's sign-in texts out of strangers' reach (R-A5.4, R-A11.6)", async () => {
    process.env.PHONE_SEND_INTERVAL_SECONDS = "60";
    resetEnv();
    const owner = await newUser();
    const { methodId, e164 } = await pendingPhone(owner.id);
    await activatePhone(database.db, owner.id, methodId);
    // Someone else starts registering the owner's number and sends to it.
    const stranger = await newUser();
    const theirs = await pendingPhone(stranger.id, e164);
    const strangerBinding = { userId: stranger.id, purpose: "enrol" as const, transactionId: null };
    expect(
      (
        await sendPhoneChallenge(
          database.db,
          stranger,
          strangerBinding,
          theirs.methodId,
          "sms",
          context,
        )
      ).ok,
    ).toBe(true);
    // The owner's sign-in text still goes.
    const signIn: ChallengeBinding = { userId: owner.id, purpose: "sign_in", transactionId: "t" };
    expect(
      (await sendPhoneChallenge(database.db, owner, signIn, methodId, "sms", context)).ok,
    ).toBe(true);
  });

  it("tells a page how long until the next send, as the send itself would count it", async () => {
    process.env.PHONE_SEND_INTERVAL_SECONDS = "60";
    resetEnv();
    const user = await newUser();
    const { methodId, e164 } = await pendingPhone(user.id);
    const binding: ChallengeBinding = { userId: user.id, purpose: "enrol", transactionId: null };
    expect(await getPhoneSendWait(database.db, user.id, methodId)).toBe(0);

    expect(
      (await sendPhoneChallenge(database.db, user, binding, methodId, "sms", context)).ok,
    ).toBe(true);
    const wait = await getPhoneSendWait(database.db, user.id, methodId);
    expect(wait).toBeGreaterThan(55);
    expect(wait).toBeLessThanOrEqual(60);
    // The page's figure is the refusal's: the send that follows is held back for as long.
    const refused = await sendPhoneChallenge(database.db, user, binding, methodId, "sms", context);
    expect(refused).toMatchObject({ ok: false, reason: "limit" });
    expect(
      Math.abs((refused as { retryAfterSeconds: number }).retryAfterSeconds - wait),
    ).toBeLessThanOrEqual(1);
    // Reading the wait sends nothing.
    expect(await database.db.select().from(outbox).where(eq(outbox.recipient, e164))).toHaveLength(
      1,
    );

    // Someone else's phone, or no phone, tells nothing.
    const stranger = await newUser();
    expect(await getPhoneSendWait(database.db, stranger.id, methodId)).toBe(0);
    expect(await getPhoneSendWait(database.db, user.id, "not-a-uuid")).toBe(0);
  });

  it("counts only the owner's own sends for a verified number (R-A5.4)", async () => {
    process.env.PHONE_SEND_INTERVAL_SECONDS = "60";
    resetEnv();
    const owner = await newUser();
    const { methodId, e164 } = await pendingPhone(owner.id);
    await activatePhone(database.db, owner.id, methodId);
    const stranger = await newUser();
    const theirs = await pendingPhone(stranger.id, e164);
    const strangerBinding = { userId: stranger.id, purpose: "enrol" as const, transactionId: null };
    await sendPhoneChallenge(
      database.db,
      stranger,
      strangerBinding,
      theirs.methodId,
      "sms",
      context,
    );
    expect(await getPhoneSendWait(database.db, owner.id, methodId)).toBe(0);
    // The stranger's unverified copy of the number waits for every send to it.
    expect(await getPhoneSendWait(database.db, stranger.id, theirs.methodId)).toBeGreaterThan(55);
  });

  it("allows at most PHONE_SENDS_PER_HOUR sends an hour", async () => {
    process.env.PHONE_SENDS_PER_HOUR = "3";
    resetEnv();
    try {
      const user = await newUser();
      const { methodId } = await pendingPhone(user.id);
      const binding: ChallengeBinding = { userId: user.id, purpose: "enrol", transactionId: null };
      const results = [];
      for (let i = 0; i < 4; i++)
        results.push(
          await sendPhoneChallenge(database.db, user, binding, methodId, "sms", context),
        );
      expect(results.map((r) => r.ok)).toEqual([true, true, true, false]);
      expect(
        await database.db.select().from(outbox).where(eq(outbox.userId, user.id)),
      ).toHaveLength(3);
    } finally {
      delete process.env.PHONE_SENDS_PER_HOUR;
    }
  });
});

describe("calls", () => {
  it("approves with #, declines with any other key, and is used once", async () => {
    const user = await newUser();
    const { methodId } = await pendingPhone(user.id);
    const binding: ChallengeBinding = { userId: user.id, purpose: "enrol", transactionId: null };
    const call = await sendPhoneChallenge(database.db, user, binding, methodId, "voice", context);
    if (!call.ok) throw new Error("call not placed");
    expect(await getCallStatus(database.db, binding, call.challengeId)).toBe("ringing");
    expect(await answerCall(database.db, call.challengeId, "1")).toBe("declined");
    expect(await getCallStatus(database.db, binding, call.challengeId)).toBe("declined");
    expect(await consumeApprovedCall(database.db, binding, call.challengeId)).toBeNull();

    const again = await sendPhoneChallenge(database.db, user, binding, methodId, "voice", context);
    if (!again.ok) throw new Error("call not placed");
    expect(await answerCall(database.db, again.challengeId, "#")).toBe("approved");
    // A second answer changes nothing.
    expect(await answerCall(database.db, again.challengeId, "1")).toBe("gone");
    expect(await consumeApprovedCall(database.db, binding, again.challengeId)).toBe(methodId);
    expect(await consumeApprovedCall(database.db, binding, again.challengeId)).toBeNull();
  });

  it("declines a call nobody answers in time", async () => {
    const user = await newUser();
    const { methodId } = await pendingPhone(user.id);
    const binding: ChallengeBinding = { userId: user.id, purpose: "enrol", transactionId: null };
    const call = await sendPhoneChallenge(database.db, user, binding, methodId, "voice", context);
    if (!call.ok) throw new Error("call not placed");
    await database.db
      .update(phoneChallenges)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(phoneChallenges.id, call.challengeId));
    expect(await getCallStatus(database.db, binding, call.challengeId)).toBe("expired");
    expect(await answerCall(database.db, call.challengeId, "#")).toBe("gone");
  });

  it("calls an office phone with its extension, and never texts it", async () => {
    const user = await newUser();
    const methodId = accepted(
      await beginPhoneEnrolment(database.db, user.id, {
        kind: "office_phone",
        e164: "+442079460018",
        extension: "1234",
        channel: "voice",
        replaces: null,
        bindingId: "sign-in:test",
      }),
    );
    const binding: ChallengeBinding = { userId: user.id, purpose: "enrol", transactionId: null };
    expect(await sendPhoneChallenge(database.db, user, binding, methodId, "sms", context)).toEqual({
      ok: false,
      reason: "unavailable",
    });
    expect(
      (await sendPhoneChallenge(database.db, user, binding, methodId, "voice", context)).ok,
    ).toBe(true);
    const [call] = await database.db.select().from(outbox).where(eq(outbox.userId, user.id));
    expect(call!.recipient).toBe("+442079460018;ext=1234");
  });
});

describe("the method framework with phones", () => {
  it("never makes a phone the default when an authenticator app exists (R-A5.6)", () => {
    const base = { label: "x", createdAt: new Date(), lastUsedAt: null, data: null };
    const phone = { ...base, id: "p", kind: "mobile_phone" as const, isDefault: true };
    const app = { ...base, id: "a", kind: "authenticator_app" as const, isDefault: false };
    expect(effectiveDefault([phone])?.id).toBe("p");
    expect(effectiveDefault([phone, app])?.id).toBe("a");
  });

  it("allows one phone of each type, and a change replaces the old number", async () => {
    const user = await newUser();
    const first = await pendingPhone(user.id);
    await activatePhone(database.db, user.id, first.methodId);
    expect(await startPhone(user.id, mobile())).toEqual({ ok: false, reason: "limit_reached" });
    const newNumber = mobile();
    const changed = accepted(
      await beginPhoneEnrolment(database.db, user.id, {
        kind: "mobile_phone",
        e164: newNumber,
        extension: null,
        channel: "sms",
        replaces: first.methodId,
        bindingId: "sign-in:test",
      }),
    );
    const result = await activatePhone(database.db, user.id, changed);
    expect(result?.replaced?.e164).toBe(first.e164);
    const { methods, defaultMethod } = await getMethodSummary(database.db, user.id);
    expect(methods.map((m) => m.label)).toEqual([maskPhone(newNumber)]);
    expect(defaultMethod?.id).toBe(changed);
  });

  it("neither offers nor uses phones while email is delivered for real but texts are not", async () => {
    const user = await newUser();
    const { methodId } = await pendingPhone(user.id);
    await activatePhone(database.db, user.id, methodId);
    expect(kindOffered("mobile_phone", "user")).toBe(true);
    process.env.SMTP_URL = "smtp://127.0.0.1:2525";
    resetEnv();
    try {
      // Codes would sit at /dev/outbox for anyone to read.
      expect(kindOffered("mobile_phone", "user")).toBe(false);
      const summary = await getMethodSummary(database.db, user.id);
      expect(summary.choices).toEqual([]);
      expect(summary.blockedBy).toEqual(["phones_unavailable"]);
      // The phone still counts as a method: the password alone neither signs in nor opens
      // registration (R-A1.5).
      expect(await passwordStep(user)).toMatchObject({ ok: true, stage: "second_factor" });
    } finally {
      delete process.env.SMTP_URL;
      resetEnv();
    }
    expect((await getMethodSummary(database.db, user.id)).choices.length).toBeGreaterThan(0);
  });

  it("does not offer text or call to admin accounts (R-A5.6)", async () => {
    const admin = await newUser("admin");
    const { methodId } = await pendingPhone(admin.id);
    await activatePhone(database.db, admin.id, methodId);
    const summary = await getMethodSummary(database.db, admin.id);
    expect(summary.methods).toHaveLength(0);
    expect(summary.choices).toHaveLength(0);
    expect(summary.blockedBy).toEqual(["role"]);
    expect(await passwordStep(admin)).toMatchObject({ ok: true, stage: "second_factor" });
  });
});
