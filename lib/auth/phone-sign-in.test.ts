import { webcrypto } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser } from "@/lib/auth/users";
import { auditLog, companionDevices, outbox, pushRequests } from "@/lib/db/schema";
import {
  answerPushRequest,
  authenticateDeviceCall,
  beginPairing,
  completePairing,
  confirmPairedPhone,
  listPendingPushes,
} from "@/lib/mfa/companion";
import { answerMessage, deviceCallMessage, pairingMessage } from "@/lib/mfa/companion-protocol";
import { setPhoneSignIn } from "@/lib/mfa/phone-sign-in";
import { totpCode } from "@/lib/mfa/totp";
import { createTestDatabase } from "@/lib/testing/test-database";
import { completeSignIn } from "./sign-in";
import {
  finishPhoneSignIn,
  getPhoneSignInStatus,
  getPhoneSignInWait,
  resendPhoneSignIn,
  startPhoneSignIn,
} from "./phone-sign-in";

// Phone sign-in (issue #8 item 4): a phone is played by WebCrypto keys made as the app makes them.

const context = { ip: "192.0.2.77", userAgent: "vitest" };
let database: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.dispose();
});

type Phone = { keys: CryptoKeyPair; deviceId: string };

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
  const { id } = await createUser(db, { email, displayName: "Pat", role: "user" });
  const { token } = await beginPairing(db, id);
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
  expect(await confirmPairedPhone(db, id, await totpCode(paired.secret))).not.toBeNull();
  return { userId: id, email, phone: { keys, deviceId: paired.deviceId } };
}

let clock = Date.now();
/** A signed device call, as the app sends it; `signer` may be another key (an attacker's). */
async function deviceCall(phone: Phone, action: string, signer = phone.keys) {
  clock = Math.max(clock + 1, Date.now());
  const body = JSON.stringify({ deviceId: phone.deviceId, timestamp: clock, action });
  return { body, signature: await signWith(signer, deviceCallMessage(body)) };
}

/** What the device route does with a phone sign-in call. */
async function callPhoneSignIn(phone: Phone, on: boolean, signer = phone.keys) {
  const { body, signature } = await deviceCall(
    phone,
    on ? "phone_sign_in_on" : "phone_sign_in_off",
    signer,
  );
  const authenticated = await authenticateDeviceCall(database.db, body, signature);
  if (!authenticated) return null;
  return setPhoneSignIn(database.db, authenticated.device, on, context);
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

async function approve(phone: Phone, requestId: string, number: string) {
  const [row] = await database.db
    .select({ challenge: pushRequests.challenge })
    .from(pushRequests)
    .where(eq(pushRequests.id, requestId));
  return answerPushRequest(
    database.db,
    {
      deviceId: phone.deviceId,
      requestId,
      decision: "approve",
      number,
      fraud: false,
      signature: await signWith(
        phone.keys,
        answerMessage({
          requestId,
          challenge: row?.challenge ?? "",
          decision: "approve",
          number,
          fraud: false,
        }),
      ),
    },
    context,
  );
}

async function countAudit(userId: string, action: "mfa.companion.phone_sign_in_enabled") {
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
