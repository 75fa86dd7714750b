import { webcrypto } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pinProof } from "@/app/authenticator/_lib/device";
import { auditLog, authThrottles, companionDevices, outbox, pushRequests } from "@/lib/db/schema";
import { authenticateDeviceCall } from "@/lib/mfa/companion-device";
import { beginPairing, completePairing, confirmPairedPhone } from "@/lib/mfa/companion-pairing";
import {
  answerPush,
  answerPushRequest,
  listPendingPushes,
  pushNumber,
  startPushRequest,
  type PushAnswer,
} from "@/lib/mfa/companion-push";
import {
  answerMessage,
  deviceCallMessage,
  pairingMessage,
  type DeviceCall,
} from "@/lib/mfa/companion-protocol";
import type { AuditAction } from "@/lib/audit/events";
import { changePhoneSignInPin, disablePhoneSignIn } from "@/lib/mfa/phone-sign-in";
import { enablePhoneSignIn } from "@/lib/auth/enable-phone-sign-in";
import { passwordThrottlePolicies, PIN_MAX_FAILURES } from "@/lib/settings/policy";
import { totpCode } from "@/lib/mfa/totp";
import { accepted } from "@/lib/testing/enrolment";
import { createTestDatabase } from "@/lib/testing/test-database";
import { completeSignIn } from "./sign-in";
import {
  finishPhoneSignIn,
  getPhoneSignInStatus,
  getPhoneSignInWait,
  resendPhoneSignIn,
  startPhoneSignIn,
} from "./phone-sign-in";
import { createTestUser } from "@/lib/testing/users";

// Phone sign-in (issue #8 item 4): a phone is played by WebCrypto keys made as the app makes them.

const context = { ip: "192.0.2.77", userAgent: "vitest" };
let database: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.dispose();
});

/** The phone's key, and the account's password the person types when turning phone sign-in on. */
type Phone = { keys: CryptoKeyPair; deviceId: string; password: string };

async function signWith(keys: CryptoKeyPair, message: string): Promise<string> {
  const signature = await webcrypto.subtle.sign(
    { name: "ECDSA", hash: "SHA-256" },
    keys.privateKey,
    new TextEncoder().encode(message),
  );
  return Buffer.from(signature).toString("base64url");
}

async function userWithPhone(email: string) {
  const { db } = database;
  const { id, password } = await createTestUser(db, { email, displayName: "Pat", role: "user" });
  const { token } = accepted(await beginPairing(db, id));
  const keys = await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, [
    "sign",
    "verify",
  ]);
  const publicKey = Buffer.from(await webcrypto.subtle.exportKey("spki", keys.publicKey)).toString(
    "base64url",
  );
  const paired = await completePairing(db, {
    token,
    publicKey,
    name: "Pixel",
    signature: await signWith(keys, pairingMessage(token)),
  });
  if (!paired.ok) throw new Error("pairing failed");
  expect(await confirmPairedPhone(db, id, await totpCode(paired.secret))).toMatchObject({
    ok: true,
  });
  return { userId: id, email, phone: { keys, deviceId: paired.deviceId, password } };
}

const PIN = "482913";
const proofs = new Map<string, string>();
/** The proof of a PIN, made by the app's own code (PBKDF2 with WebCrypto), cached per device. */
async function proof(phone: Phone, pin = PIN): Promise<string> {
  const key = `${phone.deviceId}:${pin}`;
  if (!proofs.has(key))
    proofs.set(
      key,
      await pinProof({ deviceId: phone.deviceId } as Parameters<typeof pinProof>[0], pin),
    );
  return proofs.get(key)!;
}

let clock = Date.now();
/** A signed device call, as the app sends it; `signer` may be another key (an attacker's). */
async function deviceCall(
  phone: Phone,
  action: DeviceCall["action"],
  signer = phone.keys,
  extra: Pick<DeviceCall, "pinProof" | "newPinProof" | "password"> = {},
) {
  clock = Math.max(clock + 1, Date.now());
  const body = JSON.stringify({ deviceId: phone.deviceId, timestamp: clock, action, ...extra });
  return { body, signature: await signWith(signer, deviceCallMessage(body)) };
}

/**
 * What the device route does with a phone sign-in call: the setting now in force, or why it was
 * not turned on. Turning it on sends the password and the proof of `pin` (null: no proof).
 */
async function callPhoneSignIn(
  phone: Phone,
  on: boolean,
  signer = phone.keys,
  pin: string | null = PIN,
  password = phone.password,
  from = context,
) {
  const pinProof = on && pin !== null ? await proof(phone, pin) : undefined;
  const { body, signature } = await deviceCall(
    phone,
    on ? "phone_sign_in_on" : "phone_sign_in_off",
    signer,
    on ? { pinProof, password } : {},
  );
  const authenticated = await authenticateDeviceCall(database.db, body, signature);
  if (!authenticated) return null;
  if (!on) {
    await disablePhoneSignIn(database.db, authenticated.device, from);
    return false;
  }
  const { call } = authenticated;
  const result = await enablePhoneSignIn(
    database.db,
    authenticated.device,
    { password: call.password, pinProof: call.pinProof },
    from,
  );
  return result === "on" ? true : result;
}

async function enabled(deviceId: string): Promise<boolean> {
  const [row] = await database.db
    .select({ on: companionDevices.phoneSignInEnabled })
    .from(companionDevices)
    .where(eq(companionDevices.id, deviceId));
  return row!.on;
}

async function device(phone: Phone) {
  const { body, signature } = await deviceCall(phone, "requests");
  return (await authenticateDeviceCall(database.db, body, signature))!.device;
}

/** The approval the app sends, signed over the request's challenge, number and PIN proof. */
async function approval(
  phone: Phone,
  requestId: string,
  number: string,
  pin: string | null = PIN,
): Promise<PushAnswer> {
  const [row] = await database.db
    .select({ challenge: pushRequests.challenge })
    .from(pushRequests)
    .where(eq(pushRequests.id, requestId));
  const pinProof = pin === null ? "" : await proof(phone, pin);
  return {
    deviceId: phone.deviceId,
    requestId,
    decision: "approve",
    number,
    fraud: false,
    pinProof,
    signature: await signWith(
      phone.keys,
      answerMessage({
        requestId,
        challenge: row?.challenge ?? "",
        decision: "approve",
        number,
        fraud: false,
        pinProof,
      }),
    ),
  };
}

async function approve(phone: Phone, requestId: string, number: string, pin: string | null = PIN) {
  return answerPushRequest(database.db, await approval(phone, requestId, number, pin), context);
}

async function pinState(deviceId: string) {
  const [row] = await database.db
    .select({
      on: companionDevices.phoneSignInEnabled,
      pinHash: companionDevices.pinHash,
      failures: companionDevices.pinFailures,
    })
    .from(companionDevices)
    .where(eq(companionDevices.id, deviceId));
  return row!;
}

async function requestStatus(requestId: string) {
  const [row] = await database.db
    .select({ status: pushRequests.status })
    .from(pushRequests)
    .where(eq(pushRequests.id, requestId));
  return row?.status;
}

async function countAudit(userId: string, action: AuditAction) {
  const rows = await database.db
    .select({ id: auditLog.id })
    .from(auditLog)
    .where(and(eq(auditLog.subjectId, userId), eq(auditLog.action, action)));
  return rows.length;
}

describe("turning phone sign-in on and off", () => {
  it("needs the device's own signature; a forged call changes nothing", async () => {
    const { userId, email, phone } = await userWithPhone("phone-toggle@example.edu");
    const intruder = await webcrypto.subtle.generateKey(
      { name: "ECDSA", namedCurve: "P-256" },
      false,
      ["sign", "verify"],
    );
    expect(await callPhoneSignIn(phone, true, intruder)).toBeNull();
    expect(await enabled(phone.deviceId)).toBe(false);
    expect(await countAudit(userId, "mfa.companion.phone_sign_in_enabled")).toBe(0);

    expect(await callPhoneSignIn(phone, true)).toBe(true);
    expect(await enabled(phone.deviceId)).toBe(true);
    expect(await countAudit(userId, "mfa.companion.phone_sign_in_enabled")).toBe(1);
    const mail = await database.db
      .select({ subject: outbox.subject })
      .from(outbox)
      .where(eq(outbox.recipient, email));
    expect(mail.map((m) => m.subject)).toContain("Phone sign-in was turned on");

    // A replayed call (same body and signature) is refused.
    const { body, signature } = await deviceCall(phone, "phone_sign_in_off");
    expect(await authenticateDeviceCall(database.db, body, signature)).not.toBeNull();
    expect(await authenticateDeviceCall(database.db, body, signature)).toBeNull();

    expect(await callPhoneSignIn(phone, false)).toBe(false);
    expect(await enabled(phone.deviceId)).toBe(false);
  });
});

describe("phone sign-in", () => {
  it("gives unknown emails and accounts without it the same waiting page, and sends nothing", async () => {
    const { db } = database;
    const { userId, email, phone } = await userWithPhone("phone-off@example.edu");
    // Emails of the same length, so the two tickets can be compared byte for byte.
    const input = { callbackPath: "/security-info" };
    const forOff = await startPhoneSignIn(db, { ...input, email }, context);
    const forUnknown = await startPhoneSignIn(
      db,
      { ...input, email: "nobody-ab@example.edu" },
      context,
    );
    expect(forOff.length).toBe(forUnknown.length);
    for (const ticket of [forOff, forUnknown]) {
      const wait = await getPhoneSignInWait(db, ticket);
      expect(wait?.number).toMatch(/^\d{2}$/);
      expect(wait?.status).toBe("pending");
      expect(await getPhoneSignInStatus(db, ticket, wait!.requestId)).toBe("pending");
      expect((await finishPhoneSignIn(db, ticket, wait!.requestId, context)).ok).toBe(false);
    }
    // No request exists at all, so the phone has nothing to answer.
    expect(await db.select().from(pushRequests).where(eq(pushRequests.userId, userId))).toEqual([]);
    expect(await listPendingPushes(db, await device(phone))).toEqual([]);
    // A forged ticket is simply nothing.
    expect(await getPhoneSignInWait(db, "v1.x.y.z.w")).toBeNull();
  });

  it("opens no ticket whose tag was cut to 4 bytes, the first step of forging one", async () => {
    const { db } = database;
    const ticket = await startPhoneSignIn(
      db,
      { email: "nobody-cut@example.edu", callbackPath: "/" },
      context,
    );
    const wait = await getPhoneSignInWait(db, ticket);
    expect(wait).not.toBeNull();
    // A 4-byte tag would be forged in about 2^32 tries; the genuine tag's first 4 bytes are what
    // a short tag is checked against, so they stand in for a successful guess here.
    const parts = ticket.split(".");
    parts[3] = Buffer.from(parts[3]!, "base64url").subarray(0, 4).toString("base64url");
    const cut = parts.join(".");
    expect(await getPhoneSignInWait(db, cut)).toBeNull();
    expect(await getPhoneSignInStatus(db, cut, wait!.requestId)).toBe("gone");
    expect((await finishPhoneSignIn(db, cut, wait!.requestId, context)).ok).toBe(false);
    expect(await resendPhoneSignIn(db, cut, context)).toBeNull();
  });

  it("a second-factor phone without phone sign-in never receives a phone sign-in request", async () => {
    const { db } = database;
    const a = await userWithPhone("phone-two@example.edu");
    expect(await callPhoneSignIn(a.phone, true)).toBe(true);
    // Turned off again before the sign-in: the account no longer offers it.
    expect(await callPhoneSignIn(a.phone, false)).toBe(false);
    const ticket = await startPhoneSignIn(
      db,
      { email: a.email, callbackPath: "/security-info" },
      context,
    );
    const wait = await getPhoneSignInWait(db, ticket);
    expect(await db.select().from(pushRequests).where(eq(pushRequests.userId, a.userId))).toEqual(
      [],
    );
    expect(await approve(a.phone, wait!.requestId, wait!.number)).toBe("gone");
  });

  it("an approval stops counting once phone sign-in is turned off before the sign-in finishes", async () => {
    const { db } = database;
    const { email, phone } = await userWithPhone("phone-off-between@example.edu");
    expect(await callPhoneSignIn(phone, true)).toBe(true);
    const ticket = await startPhoneSignIn(db, { email, callbackPath: "/" }, context);
    const wait = (await getPhoneSignInWait(db, ticket))!;
    expect(await approve(phone, wait.requestId, wait.number)).toBe("approved");
    expect(await callPhoneSignIn(phone, false)).toBe(false);
    expect((await finishPhoneSignIn(db, ticket, wait.requestId, context)).ok).toBe(false);
    const [row] = await db
      .select({ status: pushRequests.status })
      .from(pushRequests)
      .where(eq(pushRequests.id, wait.requestId));
    expect(row).toEqual({ status: "approved" });
  });

  it("signs in with both factors once the phone approves its own request, once", async () => {
    const { db } = database;
    const { userId, email, phone } = await userWithPhone("phone-on@example.edu");
    expect(await callPhoneSignIn(phone, true)).toBe(true);
    const ticket = await startPhoneSignIn(db, { email, callbackPath: "/security-info" }, context);
    const wait = (await getPhoneSignInWait(db, ticket))!;
    const pending = await listPendingPushes(db, await device(phone));
    expect(pending.map((p) => [p.id, p.purpose])).toEqual([[wait.requestId, "phone_sign_in"]]);

    // Another browser's phone sign-in for the same account waits behind the outstanding one.
    const other = await startPhoneSignIn(db, { email, callbackPath: "/" }, context);
    const otherWait = (await getPhoneSignInWait(db, other))!;
    expect(otherWait.requestId).not.toBe(wait.requestId);

    expect((await finishPhoneSignIn(db, ticket, wait.requestId, context)).ok).toBe(false);
    expect(await approve(phone, wait.requestId, wait.number)).toBe("approved");
    expect(await getPhoneSignInStatus(db, ticket, wait.requestId)).toBe("approved");
    // The approval belongs to its own transaction: the other ticket cannot use it.
    expect((await finishPhoneSignIn(db, other, wait.requestId, context)).ok).toBe(false);

    const finished = await finishPhoneSignIn(db, ticket, wait.requestId, context);
    expect(finished).toMatchObject({ ok: true, stage: "stay_signed_in" });
    // Used once: a second finish (another tab, a replay) gets nothing.
    expect((await finishPhoneSignIn(db, ticket, wait.requestId, context)).ok).toBe(false);
    expect(await getPhoneSignInStatus(db, ticket, wait.requestId)).toBe("gone");
    if (!finished.ok) throw new Error("unreachable");
    const [row] = await db
      .select({ status: pushRequests.status, purpose: pushRequests.purpose })
      .from(pushRequests)
      .where(eq(pushRequests.id, wait.requestId));
    expect(row).toEqual({ status: "used", purpose: "phone_sign_in" });
    // Stay signed in is still to answer: the transaction is not ready, so no session yet.
    expect(await completeSignIn(db, finished.transactionToken, context)).toBeNull();
    const mfa = await db
      .select({ details: auditLog.details })
      .from(auditLog)
      .where(and(eq(auditLog.subjectId, userId), eq(auditLog.action, "auth.mfa.succeeded")));
    expect(mfa.map((m) => (m.details as { purpose?: string }).purpose)).toContain("phone_sign_in");
  });

  it("a phone without phone sign-in cannot approve a phone sign-in request", async () => {
    const { db } = database;
    const { userId, email, phone } = await userWithPhone("phone-revoked@example.edu");
    expect(await callPhoneSignIn(phone, true)).toBe(true);
    const ticket = await startPhoneSignIn(db, { email, callbackPath: "/" }, context);
    const wait = (await getPhoneSignInWait(db, ticket))!;
    expect(await callPhoneSignIn(phone, false)).toBe(false);
    expect(await approve(phone, wait.requestId, wait.number)).toBe("refused");
    const [row] = await db
      .select({ status: pushRequests.status })
      .from(pushRequests)
      .where(eq(pushRequests.userId, userId));
    expect(row!.status).toBe("pending");
    expect((await finishPhoneSignIn(db, ticket, wait.requestId, context)).ok).toBe(false);
  });

  it("sends another request only once the first one ended", async () => {
    const { db } = database;
    const { email, phone } = await userWithPhone("phone-again@example.edu");
    expect(await callPhoneSignIn(phone, true)).toBe(true);
    const ticket = await startPhoneSignIn(db, { email, callbackPath: "/" }, context);
    const first = (await getPhoneSignInWait(db, ticket))!;
    // Still waiting: the same ticket and request come back.
    expect(await resendPhoneSignIn(db, ticket, context)).toBe(ticket);
    await db
      .update(pushRequests)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(pushRequests.id, first.requestId));
    const again = (await resendPhoneSignIn(db, ticket, context))!;
    const second = (await getPhoneSignInWait(db, again))!;
    expect(second.requestId).not.toBe(first.requestId);
    expect(second.status).toBe("pending");
    expect(await approve(phone, first.requestId, first.number)).toBe("expired");
    expect(await approve(phone, second.requestId, second.number)).toBe("approved");
    expect((await finishPhoneSignIn(db, again, second.requestId, context)).ok).toBe(true);
    // A forged ticket starts nothing.
    expect(await resendPhoneSignIn(db, "v1.x.y.z.w", context)).toBeNull();
  });
});

describe("the app PIN, checked by the server", () => {
  /** A person with phone sign-in on, and a phone sign-in waiting for their phone. */
  async function waitingSignIn(email: string) {
    const { db } = database;
    const person = await userWithPhone(email);
    expect(await callPhoneSignIn(person.phone, true)).toBe(true);
    const ticket = await startPhoneSignIn(db, { email, callbackPath: "/" }, context);
    const wait = (await getPhoneSignInWait(db, ticket))!;
    expect(wait.status).toBe("pending");
    return { ...person, ticket, wait };
  }

  /** Every stored row that could hold a secret, as text. */
  async function storedText(): Promise<string> {
    const rows = await Promise.all(
      ["companion_devices", "audit_log", "outbox", "push_requests", "sign_in_transactions"].map(
        (table) =>
          database.db.execute(sql.raw(`select row_to_json(t)::text as row from ${table} t`)),
      ),
    );
    return rows
      .flatMap((result) => (result.rows as { row: string }[]).map((r) => r.row))
      .join("\n");
  }

  it("cannot be turned on without a PIN proof", async () => {
    const { userId, phone } = await userWithPhone("pin-missing@example.edu");
    expect(await callPhoneSignIn(phone, true, phone.keys, null)).toBe("unavailable");
    // Something that is not a proof (a bare PIN) is no better.
    const { body, signature } = await deviceCall(phone, "phone_sign_in_on", phone.keys, {
      pinProof: PIN,
      password: phone.password,
    });
    const call = (await authenticateDeviceCall(database.db, body, signature))!;
    expect(
      await enablePhoneSignIn(
        database.db,
        call.device,
        { password: call.call.password, pinProof: call.call.pinProof },
        context,
      ),
    ).toBe("unavailable");
    expect(await pinState(phone.deviceId)).toEqual({ on: false, pinHash: null, failures: 0 });
    expect(await countAudit(userId, "mfa.companion.phone_sign_in_enabled")).toBe(0);
    // The database refuses phone sign-in without a PIN hash, whatever the code does.
    await expect(
      database.db
        .update(companionDevices)
        .set({ phoneSignInEnabled: true })
        .where(eq(companionDevices.id, phone.deviceId)),
    ).rejects.toThrow();
  });

  it("cannot be turned on with the device key alone: the password is checked and counted", async () => {
    const { db } = database;
    // Its own address, so the per-address counter of other tests plays no part.
    const from = { ip: "198.51.100.23", userAgent: "vitest" };
    const { userId, email, phone } = await userWithPhone("pin-password@example.edu");
    expect(await callPhoneSignIn(phone, true, phone.keys, PIN, "", from)).toBe("wrong_password");
    expect(await callPhoneSignIn(phone, true, phone.keys, PIN, "not-the-password", from)).toBe(
      "wrong_password",
    );
    expect(await pinState(phone.deviceId)).toEqual({ on: false, pinHash: null, failures: 0 });
    // The password step's own counter: guesses here and at /signin add up.
    const [throttle] = await db
      .select({ failures: authThrottles.failures })
      .from(authThrottles)
      .where(and(eq(authThrottles.scope, "password:account"), eq(authThrottles.key, email)));
    expect(throttle?.failures).toBe(2);
    const refusals = await db
      .select({ outcome: auditLog.outcome, details: auditLog.details })
      .from(auditLog)
      .where(
        and(
          eq(auditLog.subjectId, userId),
          eq(auditLog.action, "mfa.companion.phone_sign_in_enabled"),
        ),
      );
    expect(refusals.map((r) => [r.outcome, (r.details as { reason?: string }).reason])).toEqual([
      ["failure", "wrong_password"],
      ["failure", "wrong_password"],
    ]);
    expect(JSON.stringify(refusals)).not.toContain("not-the-password");

    // The right password turns it on and clears the count.
    expect(await callPhoneSignIn(phone, true, phone.keys, PIN, phone.password, from)).toBe(true);
    const [cleared] = await db
      .select({ failures: authThrottles.failures })
      .from(authThrottles)
      .where(and(eq(authThrottles.scope, "password:account"), eq(authThrottles.key, email)));
    expect(cleared).toBeUndefined();
  });

  it("a paused password step cannot be passed by turning phone sign-in on", async () => {
    const from = { ip: "198.51.100.24", userAgent: "vitest" };
    const { email, phone } = await userWithPhone("pin-paused@example.edu");
    const threshold = passwordThrottlePolicies().account;
    let guesses = 0;
    while (threshold.lockSeconds(guesses + 1) === null) guesses++;
    for (let i = 0; i <= guesses; i++)
      expect(await callPhoneSignIn(phone, true, phone.keys, PIN, `wrong-${i}`, from)).toBe(
        "wrong_password",
      );
    // Paused now: even the right password is refused, and the person was told.
    expect(await callPhoneSignIn(phone, true, phone.keys, PIN, phone.password, from)).toBe(
      "password_paused",
    );
    expect((await pinState(phone.deviceId)).on).toBe(false);
    const mail = await database.db
      .select({ subject: outbox.subject })
      .from(outbox)
      .where(eq(outbox.recipient, email));
    expect(mail.map((m) => m.subject)).toContain("Sign-in paused after wrong passwords");
  });

  it("keeps only an argon2id hash of the proof, never the proof or the PIN", async () => {
    const { wait, phone, ticket } = await waitingSignIn("pin-stored@example.edu");
    const state = await pinState(phone.deviceId);
    expect(state.pinHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await approve(phone, wait.requestId, wait.number, "000000")).toBe("wrong-pin");
    expect(await approve(phone, wait.requestId, wait.number)).toBe("approved");
    expect((await finishPhoneSignIn(database.db, ticket, wait.requestId, context)).ok).toBe(true);
    const stored = await storedText();
    for (const secret of [await proof(phone), await proof(phone, "000000"), PIN, phone.password])
      expect(stored).not.toContain(secret);
  });

  it("signs in with the right PIN; a wrong PIN refuses, counts, and leaves the request waiting", async () => {
    const { db } = database;
    const { userId, phone, ticket, wait } = await waitingSignIn("pin-wrong@example.edu");

    expect(
      await answerPush(db, await approval(phone, wait.requestId, wait.number, "111111"), context),
    ).toEqual({
      result: "wrong-pin",
      attemptsLeft: PIN_MAX_FAILURES - 1,
    });
    // No PIN at all is a wrong PIN too: the signature alone does not stand for it.
    expect(await approve(phone, wait.requestId, wait.number, null)).toBe("wrong-pin");
    expect((await pinState(phone.deviceId)).failures).toBe(2);
    expect(await countAudit(userId, "mfa.companion.pin_failed")).toBe(2);
    // The sign-in did not happen: the browser still waits and cannot finish.
    expect(await requestStatus(wait.requestId)).toBe("pending");
    expect(await getPhoneSignInStatus(db, ticket, wait.requestId)).toBe("pending");
    expect((await finishPhoneSignIn(db, ticket, wait.requestId, context)).ok).toBe(false);

    // The right PIN approves, and the count starts again.
    expect(await approve(phone, wait.requestId, wait.number)).toBe("approved");
    expect((await pinState(phone.deviceId)).failures).toBe(0);
    expect(await finishPhoneSignIn(db, ticket, wait.requestId, context)).toMatchObject({
      ok: true,
    });
  });

  it("a wrong number still denies at once, without looking at the PIN", async () => {
    const { phone, wait } = await waitingSignIn("pin-number@example.edu");
    const wrong = String(((Number(wait.number) - 10 + 1) % 90) + 10);
    expect(await approve(phone, wait.requestId, wrong, "111111")).toBe("wrong-number");
    expect((await pinState(phone.deviceId)).failures).toBe(0);
  });

  it(`turns phone sign-in off after ${PIN_MAX_FAILURES} wrong PINs in a row, audited and emailed`, async () => {
    const { db } = database;
    const { userId, email, phone, ticket, wait } = await waitingSignIn("pin-locked@example.edu");
    const seen: unknown[] = [];
    for (let i = 0; i < PIN_MAX_FAILURES; i++)
      seen.push(
        await answerPush(
          db,
          await approval(phone, wait.requestId, wait.number, `00000${i}`),
          context,
        ),
      );
    expect(seen).toEqual([
      { result: "wrong-pin", attemptsLeft: 4 },
      { result: "wrong-pin", attemptsLeft: 3 },
      { result: "wrong-pin", attemptsLeft: 2 },
      { result: "wrong-pin", attemptsLeft: 1 },
      { result: "pin-locked" },
    ]);
    expect(await pinState(phone.deviceId)).toEqual({ on: false, pinHash: null, failures: 0 });
    expect(await countAudit(userId, "mfa.companion.phone_sign_in_locked")).toBe(1);
    const [lockAudit] = await db
      .select({ details: auditLog.details, outcome: auditLog.outcome })
      .from(auditLog)
      .where(
        and(
          eq(auditLog.subjectId, userId),
          eq(auditLog.action, "mfa.companion.phone_sign_in_locked"),
        ),
      );
    expect(lockAudit).toMatchObject({
      outcome: "denied",
      details: { deviceId: phone.deviceId, failures: 5 },
    });
    const mail = await db
      .select({ subject: outbox.subject, body: outbox.body, html: outbox.htmlBody })
      .from(outbox)
      .where(
        and(
          eq(outbox.recipient, email),
          eq(outbox.subject, "Phone sign-in was turned off after wrong PINs"),
        ),
      );
    expect(mail).toHaveLength(1);
    expect(mail[0]!.body).toContain("5 times in a row");
    expect(mail[0]!.body).toContain("Pixel");
    expect(mail[0]!.html).toContain("turned phone sign-in off for that phone");

    // The browser learns the request ended; the right PIN now changes nothing.
    expect(await getPhoneSignInStatus(db, ticket, wait.requestId)).toBe("denied");
    expect(await approve(phone, wait.requestId, wait.number)).toBe("gone");
    expect((await finishPhoneSignIn(db, ticket, wait.requestId, context)).ok).toBe(false);
    // A new phone sign-in sends nothing: the account has no phone with it on.
    const again = await startPhoneSignIn(db, { email, callbackPath: "/" }, context);
    const next = (await getPhoneSignInWait(db, again))!;
    expect(await requestStatus(next.requestId)).toBeUndefined();
    expect(await listPendingPushes(db, await device(phone))).toEqual([]);
  });

  it("counts every one of parallel wrong PINs, at approvals and PIN changes alike", async () => {
    const { db } = database;
    const { userId, phone, ticket, wait } = await waitingSignIn("pin-parallel@example.edu");
    // PIN changes are signed calls, authenticated one after the other (their timestamps only
    // grow); the guesses themselves then all run at once.
    const changes = async (pins: string[]) => {
      const calls = [];
      for (const pin of pins) {
        const { body, signature } = await deviceCall(phone, "pin_change", phone.keys, {
          pinProof: await proof(phone, pin),
          newPinProof: await proof(phone, "246810"),
        });
        calls.push((await authenticateDeviceCall(db, body, signature))!);
      }
      return calls.map(
        (call) => () =>
          changePhoneSignInPin(db, call.device, call.call.pinProof, call.call.newPinProof, context),
      );
    };
    const approvals = async (pins: string[]) => {
      const answers = await Promise.all(
        pins.map((pin) => approval(phone, wait.requestId, wait.number, pin)),
      );
      return answers.map((answer) => () => answerPush(db, answer, context));
    };
    const burst = async (guesses: (() => Promise<{ result: string; attemptsLeft?: number }>)[]) =>
      Promise.all(guesses.map((guess) => guess()));

    const first = await burst([
      ...(await approvals(["100001", "100002"])),
      ...(await changes(["100003", "100004"])),
    ]);
    expect(first.map((o) => o.result).sort()).toEqual(["wrong", "wrong", "wrong-pin", "wrong-pin"]);
    expect(first.map((o) => o.attemptsLeft).sort()).toEqual([1, 2, 3, 4]);
    expect(await pinState(phone.deviceId)).toMatchObject({ on: true, failures: 4 });

    // Three more at once: exactly one is the fifth and turns phone sign-in off.
    const second = await burst([
      ...(await approvals(["100005", "100006"])),
      ...(await changes(["100007"])),
    ]);
    expect(second.filter((o) => o.result === "pin-locked" || o.result === "locked")).toHaveLength(
      1,
    );
    expect(second.filter((o) => o.result === "wrong-pin" || o.result === "wrong")).toHaveLength(0);
    expect(await countAudit(userId, "mfa.companion.pin_failed")).toBe(PIN_MAX_FAILURES);
    expect(await countAudit(userId, "mfa.companion.phone_sign_in_locked")).toBe(1);
    expect(await countAudit(userId, "mfa.companion.pin_changed")).toBe(0);
    expect(await pinState(phone.deviceId)).toEqual({ on: false, pinHash: null, failures: 0 });
    expect((await finishPhoneSignIn(db, ticket, wait.requestId, context)).ok).toBe(false);
  });

  it("refuses a replayed approval that carried the right PIN", async () => {
    const { db } = database;
    const { userId, email, phone, ticket, wait } = await waitingSignIn("pin-replay@example.edu");
    const captured = await approval(phone, wait.requestId, wait.number);
    expect(await answerPushRequest(db, captured, context)).toBe("approved");
    expect(await answerPushRequest(db, captured, context)).toBe("gone");
    expect((await finishPhoneSignIn(db, ticket, wait.requestId, context)).ok).toBe(true);
    expect(await answerPushRequest(db, captured, context)).toBe("gone");

    // Nor can it approve the next request: its signature covers the old challenge.
    const other = await startPhoneSignIn(db, { email, callbackPath: "/" }, context);
    const otherWait = (await getPhoneSignInWait(db, other))!;
    expect(
      await answerPushRequest(
        db,
        { ...captured, requestId: otherWait.requestId, number: otherWait.number },
        context,
      ),
    ).toBe("refused");
    expect(await requestStatus(otherWait.requestId)).toBe("pending");
    // Replays are not guesses: the PIN count is untouched.
    expect((await pinState(phone.deviceId)).failures).toBe(0);
    expect(await countAudit(userId, "mfa.companion.pin_failed")).toBe(0);
  });

  it("second-factor requests are still approved without a PIN", async () => {
    const { db } = database;
    const { userId, email, phone } = await userWithPhone("pin-second-factor@example.edu");
    expect(await callPhoneSignIn(phone, true)).toBe(true);
    const binding = {
      userId,
      transactionId: "tx-second-factor",
      purpose: "second_factor",
    } as const;
    const started = await startPushRequest(
      db,
      { id: userId, email, displayName: "Pat" },
      binding,
      context,
    );
    if (!started.ok) throw new Error("no request");
    const [row] = await db
      .select({ challenge: pushRequests.challenge })
      .from(pushRequests)
      .where(eq(pushRequests.id, started.requestId));
    const number = pushNumber(started.requestId, row!.challenge);
    expect(await approve(phone, started.requestId, number, null)).toBe("approved");
    expect((await pinState(phone.deviceId)).failures).toBe(0);
  });

  it("changes the PIN only with the current one, counted like an approval", async () => {
    const { db } = database;
    const { userId, email, phone } = await userWithPhone("pin-change@example.edu");
    expect(await callPhoneSignIn(phone, true)).toBe(true);
    const change = async (current: string, next: string) => {
      const { body, signature } = await deviceCall(phone, "pin_change", phone.keys, {
        pinProof: await proof(phone, current),
        newPinProof: await proof(phone, next),
      });
      const call = (await authenticateDeviceCall(db, body, signature))!;
      return changePhoneSignInPin(
        db,
        call.device,
        call.call.pinProof,
        call.call.newPinProof,
        context,
      );
    };
    const before = (await pinState(phone.deviceId)).pinHash;
    expect(await change("999999", "246810")).toEqual({ result: "wrong", attemptsLeft: 4 });
    expect(await pinState(phone.deviceId)).toMatchObject({
      on: true,
      pinHash: before,
      failures: 1,
    });
    expect(await change(PIN, "246810")).toEqual({ result: "changed" });
    expect(await pinState(phone.deviceId)).toMatchObject({ on: true, failures: 0 });
    expect(await countAudit(userId, "mfa.companion.pin_changed")).toBe(1);
    const mail = await db
      .select({ subject: outbox.subject })
      .from(outbox)
      .where(eq(outbox.recipient, email));
    expect(mail.map((m) => m.subject)).toContain("Your app PIN was changed");

    // The old PIN no longer approves; the new one does.
    const ticket = await startPhoneSignIn(db, { email, callbackPath: "/" }, context);
    const wait = (await getPhoneSignInWait(db, ticket))!;
    expect(await approve(phone, wait.requestId, wait.number, PIN)).toBe("wrong-pin");
    expect(await approve(phone, wait.requestId, wait.number, "246810")).toBe("approved");
  });

  it("turning phone sign-in off forgets the PIN; turning it on again sets a new one", async () => {
    const { phone } = await userWithPhone("pin-off@example.edu");
    expect(await callPhoneSignIn(phone, true)).toBe(true);
    expect(await callPhoneSignIn(phone, false)).toBe(false);
    expect(await pinState(phone.deviceId)).toEqual({ on: false, pinHash: null, failures: 0 });
    expect(await callPhoneSignIn(phone, true, phone.keys, "135790")).toBe(true);
    // On already: a second "on" cannot swap the PIN without the current one.
    const hash = (await pinState(phone.deviceId)).pinHash;
    expect(await callPhoneSignIn(phone, true, phone.keys, "000000")).toBe(true);
    expect((await pinState(phone.deviceId)).pinHash).toBe(hash);
  });
});
