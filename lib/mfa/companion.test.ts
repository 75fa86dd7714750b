import { webcrypto } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, companionDevices, mfaMethods, outbox, pushRequests } from "@/lib/db/schema";
import { accepted } from "@/lib/testing/enrolment";
import { createTestDatabase } from "@/lib/testing/test-database";
import { authenticateDeviceCall } from "./companion-device";
import {
  beginPairing,
  completePairing,
  confirmPairedPhone,
  getPairingState,
} from "./companion-pairing";
import {
  answerPushRequest,
  consumeApprovedPush,
  getLatestPush,
  listPendingPushes,
  PUSH_REQUESTS_PER_WINDOW,
  pushNumber,
  startPushRequest,
  type PushBinding,
} from "./companion-push";
import { answerMessage, deviceCallMessage, pairingMessage } from "./companion-protocol";
import { getMethodSummary } from "./methods";
import { verifySecondFactor } from "./second-factor";
import { totpCode } from "./totp";
import { createTestUser } from "@/lib/testing/users";

// The companion authenticator (R-A6): a phone is played here by WebCrypto keys made exactly as
// the app makes them (ECDSA P-256, raw r‖s signatures).

const context = { ip: "192.0.2.61", userAgent: "vitest" };
let database: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.dispose();
});

type Phone = { keys: CryptoKeyPair; publicKey: string; deviceId: string; secret: string };

async function newKeys() {
  const keys = await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, [
    "sign",
    "verify",
  ]);
  const spki = await webcrypto.subtle.exportKey("spki", keys.publicKey);
  return { keys, publicKey: Buffer.from(spki).toString("base64url") };
}

async function signWith(keys: CryptoKeyPair, message: string): Promise<string> {
  const signature = await webcrypto.subtle.sign(
    { name: "ECDSA", hash: "SHA-256" },
    keys.privateKey,
    new TextEncoder().encode(message),
  );
  return Buffer.from(signature).toString("base64url");
}

/** A user with one phone paired and confirmed, as Security info and the app do it. */
async function userWithPhone(email: string) {
  const { db } = database;
  const user = {
    ...(await createTestUser(db, { email, displayName: "Pat", role: "user" })),
    email,
  };
  const phone = await pairPhone(user.id);
  expect(await confirmPairedPhone(db, user.id, await totpCode(phone.secret))).toMatchObject({
    ok: true,
  });
  return { user: { id: user.id, email, displayName: "Pat" }, phone };
}

async function pairPhone(userId: string, name = "Pixel"): Promise<Phone> {
  const { token } = accepted(await beginPairing(database.db, userId));
  const { keys, publicKey } = await newKeys();
  const result = await completePairing(database.db, {
    token,
    publicKey,
    name,
    signature: await signWith(keys, pairingMessage(token)),
  });
  if (!result.ok) throw new Error("pairing failed");
  return { keys, publicKey, deviceId: result.deviceId, secret: result.secret };
}

let transactions = 0;
const binding = (userId: string): PushBinding => ({
  userId,
  transactionId: `tx-${++transactions}`,
  purpose: "second_factor",
});

async function requestRow(id: string) {
  const [row] = await database.db.select().from(pushRequests).where(eq(pushRequests.id, id));
  return row!;
}

async function approve(
  phone: Phone,
  requestId: string,
  overrides: Partial<{ number: string }> = {},
) {
  const row = await requestRow(requestId);
  const number = overrides.number ?? pushNumber(row.id, row.challenge);
  const signature = await signWith(
    phone.keys,
    answerMessage({
      requestId,
      challenge: row.challenge,
      decision: "approve",
      number,
      fraud: false,
    }),
  );
  return { number, signature };
}

describe("pairing (R-A6.5)", () => {
  it("keeps only the public key, spends the link once and needs a code before it counts", async () => {
    const { db } = database;
    const { id: userId } = await createTestUser(db, {
      email: "pair@example.edu",
      displayName: "Pat",
      role: "user",
    });
    const { token } = accepted(await beginPairing(db, userId));
    expect(await getPairingState(db, userId)).toBe("waiting");
    const { keys, publicKey } = await newKeys();
    const other = await newKeys();

    // A key the caller does not hold cannot be registered.
    expect(
      await completePairing(db, {
        token,
        publicKey,
        name: "Pixel",
        signature: await signWith(other.keys, pairingMessage(token)),
      }),
    ).toEqual({ ok: false, reason: "invalid_pairing" });

    const paired = await completePairing(db, {
      token,
      publicKey,
      name: "Pixel",
      signature: await signWith(keys, pairingMessage(token)),
    });
    expect(paired.ok).toBe(true);
    expect(await getPairingState(db, userId)).toBe("paired");
    const [device] = await db
      .select()
      .from(companionDevices)
      .where(eq(companionDevices.userId, userId));
    expect(device!.publicKey).toBe(publicKey);

    // Used once: the same link pairs nothing more.
    const again = await newKeys();
    expect(
      await completePairing(db, {
        token,
        publicKey: again.publicKey,
        name: "Other",
        signature: await signWith(again.keys, pairingMessage(token)),
      }),
    ).toEqual({ ok: false, reason: "invalid_pairing" });

    // Not a method until its code is entered where the link was shown (R-A9.2).
    expect((await getMethodSummary(db, userId)).methods).toHaveLength(0);
    if (!paired.ok) return;
    expect(await confirmPairedPhone(db, userId, "000000")).toEqual({
      ok: false,
      reason: "wrong_code",
    });
    expect(await confirmPairedPhone(db, userId, await totpCode(paired.secret))).toMatchObject({
      ok: true,
    });
    const summary = await getMethodSummary(db, userId);
    expect(summary.methods.map((m) => m.kind)).toEqual(["companion_app"]);
    expect(summary.defaultChoice).toEqual({ option: "push", methodId: null });
    expect(summary.choices.map((c) => c.option)).toEqual(["push", "code"]);
  });

  it("accepts the codes the phone shows as 'Use a verification code'", async () => {
    const { user, phone } = await userWithPhone("codes@example.edu");
    // The pairing code used the current step (R-A4.4); the next step is new.
    const next = new Date(Date.now() + 30_000);
    const result = await verifySecondFactor(
      database.db,
      user,
      "code",
      await totpCode(phone.secret, next),
      { ...context, purpose: "sign_in" },
    );
    expect(result).toEqual({ ok: true, amr: "otp" });
  });
});

describe("push approval with number matching (R-A6.1, R-A6.2)", () => {
  it("refuses a signature over a tampered challenge, number or by another key", async () => {
    const { db } = database;
    const { user, phone } = await userWithPhone("tamper@example.edu");
    const bound = binding(user.id);
    const started = await startPushRequest(db, user, bound, context);
    if (!started.ok) throw new Error("not started");
    const row = await requestRow(started.requestId);
    const number = pushNumber(row.id, row.challenge);
    const wrong = number === "42" ? "43" : "42";
    const base = {
      deviceId: phone.deviceId,
      requestId: row.id,
      decision: "approve" as const,
      fraud: false,
    };

    const otherChallenge = await signWith(
      phone.keys,
      answerMessage({ ...base, challenge: "A".repeat(43), number }),
    );
    expect(
      await answerPushRequest(db, { ...base, number, signature: otherChallenge }, context),
    ).toBe("refused");
    // Signed for one number, sent with another.
    const signedForWrong = await signWith(
      phone.keys,
      answerMessage({ ...base, challenge: row.challenge, number: wrong }),
    );
    expect(
      await answerPushRequest(db, { ...base, number, signature: signedForWrong }, context),
    ).toBe("refused");
    const stranger = await newKeys();
    const byStranger = await signWith(
      stranger.keys,
      answerMessage({ ...base, challenge: row.challenge, number }),
    );
    expect(await answerPushRequest(db, { ...base, number, signature: byStranger }, context)).toBe(
      "refused",
    );
    // Approve-only, without the number, is no answer (R-A6.1).
    expect(
      await answerPushRequest(
        db,
        {
          ...base,
          number: "",
          signature: await signWith(
            phone.keys,
            answerMessage({ ...base, challenge: row.challenge, number: "" }),
          ),
        },
        context,
      ),
    ).toBe("refused");
    expect((await requestRow(row.id)).status).toBe("pending");

    const good = await approve(phone, row.id);
    expect(await answerPushRequest(db, { ...base, ...good }, context)).toBe("approved");
    // The same approval again, or late: nothing changes (R-A6.2).
    expect(await answerPushRequest(db, { ...base, ...good }, context)).toBe("gone");

    // Bound to its sign-in (R-A1.6): another transaction cannot use it.
    expect(await consumeApprovedPush(db, binding(user.id), row.id)).toBeNull();
    const result = await verifySecondFactor(db, user, "push", row.id, {
      ...context,
      purpose: "sign_in",
      transactionId: bound.transactionId,
    });
    expect(result).toEqual({ ok: true, amr: "swk" });
    // Used once.
    expect(await consumeApprovedPush(db, bound, row.id)).toBeNull();
    expect((await requestRow(row.id)).status).toBe("used");
  });

  it("denies the request when the typed number is wrong", async () => {
    const { db } = database;
    const { user, phone } = await userWithPhone("wrong@example.edu");
    const bound = binding(user.id);
    const started = await startPushRequest(db, user, bound, context);
    if (!started.ok) throw new Error("not started");
    const row = await requestRow(started.requestId);
    const right = pushNumber(row.id, row.challenge);
    const typed = await approve(phone, row.id, { number: right === "10" ? "11" : "10" });
    expect(
      await answerPushRequest(
        db,
        {
          deviceId: phone.deviceId,
          requestId: row.id,
          decision: "approve",
          fraud: false,
          ...typed,
        },
        context,
      ),
    ).toBe("wrong-number");
    const after = await requestRow(row.id);
    expect(after.status).toBe("denied");
    expect(after.wrongAnswers).toBe(1);
    expect((await getLatestPush(db, bound))?.status).toBe("denied");
    expect(await consumeApprovedPush(db, bound, row.id)).toBeNull();
    // The right number afterwards is too late.
    const late = await approve(phone, row.id);
    expect(
      await answerPushRequest(
        db,
        { deviceId: phone.deviceId, requestId: row.id, decision: "approve", fraud: false, ...late },
        context,
      ),
    ).toBe("gone");
  });

  it("refuses an expired request", async () => {
    const { db } = database;
    const { user, phone } = await userWithPhone("expired@example.edu");
    const bound = binding(user.id);
    const started = await startPushRequest(db, user, bound, context);
    if (!started.ok) throw new Error("not started");
    await db
      .update(pushRequests)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(pushRequests.id, started.requestId));
    expect((await getLatestPush(db, bound))?.status).toBe("expired");
    const device = {
      id: phone.deviceId,
      userId: user.id,
      methodId: "",
      active: true,
      publicKey: phone.publicKey,
      phoneSignInEnabled: false,
    };
    expect(await listPendingPushes(db, device)).toEqual([]);
    const good = await approve(phone, started.requestId);
    expect(
      await answerPushRequest(
        db,
        {
          deviceId: phone.deviceId,
          requestId: started.requestId,
          decision: "approve",
          fraud: false,
          ...good,
        },
        context,
      ),
    ).toBe("expired");
    expect(await consumeApprovedPush(db, bound, started.requestId)).toBeNull();
  });
});

describe("push limits (R-A6.3, R-A6.4)", () => {
  it("allows one outstanding request and three in ten minutes, then tells the person once", async () => {
    const { db } = database;
    const { user, phone } = await userWithPhone("limits@example.edu");
    const first = binding(user.id);
    const one = await startPushRequest(db, user, first, context);
    expect(one.ok).toBe(true);
    // The same sign-in asking again gets its own request back; another sign-in waits.
    expect(await startPushRequest(db, user, first, context)).toEqual(one);
    expect(await startPushRequest(db, user, binding(user.id), context)).toEqual({
      ok: false,
      reason: "limit",
    });

    // Answered requests free the slot, but count towards the window.
    const deny = async (requestId: string) => {
      const row = await requestRow(requestId);
      const signature = await signWith(
        phone.keys,
        answerMessage({
          requestId,
          challenge: row.challenge,
          decision: "deny",
          number: "",
          fraud: false,
        }),
      );
      expect(
        await answerPushRequest(
          db,
          {
            deviceId: phone.deviceId,
            requestId,
            decision: "deny",
            number: "",
            fraud: false,
            signature,
          },
          context,
        ),
      ).toBe("denied");
    };
    if (!one.ok) return;
    await deny(one.requestId);
    for (let i = 1; i < PUSH_REQUESTS_PER_WINDOW; i++) {
      const next = await startPushRequest(db, user, binding(user.id), context);
      if (!next.ok) throw new Error(`request ${i + 1} refused`);
      await deny(next.requestId);
    }
    expect(await startPushRequest(db, user, binding(user.id), context)).toEqual({
      ok: false,
      reason: "limit",
    });
    expect(await startPushRequest(db, user, binding(user.id), context)).toEqual({
      ok: false,
      reason: "limit",
    });
    const rows = await db.select().from(pushRequests).where(eq(pushRequests.userId, user.id));
    expect(rows).toHaveLength(PUSH_REQUESTS_PER_WINDOW);
    const notices = await db
      .select()
      .from(outbox)
      .where(
        and(
          eq(outbox.userId, user.id),
          eq(outbox.subject, "Sign-in requests to your phone were refused"),
        ),
      );
    expect(notices).toHaveLength(1);
  });

  it("counts the window's requests from the last one that signed in", async () => {
    const { db } = database;
    const { user } = await userWithPhone("limits-reset@example.edu");
    const ids: string[] = [];
    for (let i = 0; i < PUSH_REQUESTS_PER_WINDOW; i++) {
      const request = await startPushRequest(db, user, binding(user.id), context);
      if (!request.ok) throw new Error(`request ${i + 1} refused`);
      ids.push(request.requestId);
      // Answered, so the next one is not an outstanding request.
      await db
        .update(pushRequests)
        .set({ status: "denied", answeredAt: sql`now()` })
        .where(eq(pushRequests.id, request.requestId));
    }
    expect(await startPushRequest(db, user, binding(user.id), context)).toEqual({
      ok: false,
      reason: "limit",
    });
    // The last of them signed the person in after all: what came before it no longer counts.
    await db
      .update(pushRequests)
      .set({ status: "used", answeredAt: sql`now()` })
      .where(eq(pushRequests.id, ids.at(-1)!));
    expect(await startPushRequest(db, user, binding(user.id), context)).toMatchObject({
      ok: true,
    });
  });

  it("pauses requests for an hour after 'This wasn't me', and tells the person", async () => {
    const { db } = database;
    const { user, phone } = await userWithPhone("fraud@example.edu");
    const started = await startPushRequest(db, user, binding(user.id), context);
    if (!started.ok) throw new Error("not started");
    const row = await requestRow(started.requestId);
    const signature = await signWith(
      phone.keys,
      answerMessage({
        requestId: row.id,
        challenge: row.challenge,
        decision: "deny",
        number: "",
        fraud: true,
      }),
    );
    expect(
      await answerPushRequest(
        db,
        {
          deviceId: phone.deviceId,
          requestId: row.id,
          decision: "deny",
          number: "",
          fraud: true,
          signature,
        },
        context,
      ),
    ).toBe("denied");
    expect((await requestRow(row.id)).fraudReported).toBe(true);
    const [report] = await db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.subjectId, user.id), eq(auditLog.action, "mfa.push.fraud_reported")));
    expect(report).toBeDefined();
    const mail = await db
      .select()
      .from(outbox)
      .where(and(eq(outbox.userId, user.id), eq(outbox.subject, "You reported a sign-in request")));
    expect(mail).toHaveLength(1);
    expect(await startPushRequest(db, user, binding(user.id), context)).toEqual({
      ok: false,
      reason: "paused",
    });
    // An hour later requests flow again.
    await db
      .update(pushRequests)
      .set({
        answeredAt: new Date(Date.now() - 61 * 60_000),
        createdAt: new Date(Date.now() - 61 * 60_000),
      })
      .where(eq(pushRequests.id, row.id));
    expect((await startPushRequest(db, user, binding(user.id), context)).ok).toBe(true);
  });
});

describe("signed calls from the device", () => {
  it("accepts a signed call once, and refuses a replay, a tampered body or a stale clock", async () => {
    const { db } = database;
    const { user, phone } = await userWithPhone("calls@example.edu");
    const body = JSON.stringify({
      deviceId: phone.deviceId,
      timestamp: Date.now(),
      action: "requests",
    });
    const signature = await signWith(phone.keys, deviceCallMessage(body));
    const ok = await authenticateDeviceCall(db, body, signature);
    expect(ok?.device.userId).toBe(user.id);
    expect(await authenticateDeviceCall(db, body, signature)).toBeNull();

    const later = JSON.stringify({
      deviceId: phone.deviceId,
      timestamp: Date.now() + 5,
      action: "requests",
    });
    const tampered = later.replace("requests", "subscribe");
    expect(
      await authenticateDeviceCall(
        db,
        tampered,
        await signWith(phone.keys, deviceCallMessage(later)),
      ),
    ).toBeNull();

    const stale = JSON.stringify({
      deviceId: phone.deviceId,
      timestamp: Date.now() - 10 * 60_000,
      action: "requests",
    });
    expect(
      await authenticateDeviceCall(db, stale, await signWith(phone.keys, deviceCallMessage(stale))),
    ).toBeNull();
    const stranger = await newKeys();
    const next = JSON.stringify({
      deviceId: phone.deviceId,
      timestamp: Date.now() + 10,
      action: "requests",
    });
    expect(
      await authenticateDeviceCall(
        db,
        next,
        await signWith(stranger.keys, deviceCallMessage(next)),
      ),
    ).toBeNull();
    expect(
      await authenticateDeviceCall(db, next, await signWith(phone.keys, deviceCallMessage(next))),
    ).not.toBeNull();
  });

  it("removing the phone's method removes its key: its calls and answers stop working", async () => {
    const { db } = database;
    const { user, phone } = await userWithPhone("removed@example.edu");
    const [device] = await db
      .select({ methodId: companionDevices.methodId })
      .from(companionDevices)
      .where(eq(companionDevices.id, phone.deviceId));
    await db.delete(mfaMethods).where(eq(mfaMethods.id, device!.methodId));
    const body = JSON.stringify({
      deviceId: phone.deviceId,
      timestamp: Date.now(),
      action: "requests",
    });
    expect(
      await authenticateDeviceCall(db, body, await signWith(phone.keys, deviceCallMessage(body))),
    ).toBeNull();
    expect(await startPushRequest(db, user, binding(user.id), context)).toEqual({
      ok: false,
      reason: "unavailable",
    });
  });
});
