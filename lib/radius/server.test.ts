import { webcrypto } from "node:crypto";
import { and, desc, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Agent } from "@/lib/admin/agent-rules";
import {
  createRadiusClient,
  deleteRadiusClient,
  rotateRadiusSecret,
  setMessageAuthenticatorRequired,
} from "@/lib/admin/radius-clients";
import { verifyPasswordStep } from "@/lib/auth/password-step";
import { auditLog, mfaMethods, phoneChallenges, pushRequests, signInEvents } from "@/lib/db/schema";
import { getEnv } from "@/lib/env";
import {
  beginAuthenticatorEnrolment,
  confirmAuthenticatorEnrolment,
  getPendingEnrolment,
} from "@/lib/mfa/authenticator-app";
import { beginPairing, completePairing, confirmPairedPhone } from "@/lib/mfa/companion-pairing";
import { answerPushRequest } from "@/lib/mfa/companion-push";
import { answerMessage, pairingMessage } from "@/lib/mfa/companion-protocol";
import { answerOutboxCall } from "@/lib/mfa/phone-calls";
import { totpCode } from "@/lib/mfa/totp";
import { accepted } from "@/lib/testing/enrolment";
import { createTestDatabase } from "@/lib/testing/test-database";
import { createTestUser } from "@/lib/testing/users";
import { RADIUS_MESSAGES } from "./conversation";
import { getDropCounts } from "./drops";
import { radclient } from "./radclient";
import { startRadiusServer, type RadiusServer } from "./server";

// Factor's RADIUS server on a free UDP port, against a test database, driven by FreeRADIUS's
// radclient as a VPN would drive it (R-A20.1–R-A20.4).

const context = { ip: "192.0.2.90", userAgent: "vitest" };
const why = { reason: "Campus VPN goes live", ticket: "CHG-16" };
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let server: RadiusServer;
let admin: Agent;
let vpn: { id: string; secret: string };
let target: string;

beforeAll(async () => {
  database = await createTestDatabase();
  const email = "radius-admin@example.edu";
  const { id } = await createTestUser(database.db, { email, displayName: "Ada", role: "admin" });
  admin = { id, email, displayName: "Ada", role: "admin", sessionId: "session" };
  const created = await createRadiusClient(
    database.db,
    admin,
    { name: "Campus VPN", address: "127.0.0.1", allowedRoles: null },
    why,
    context,
  );
  if (!created.ok) throw new Error(created.message);
  vpn = { id: created.client.id, secret: created.secret };
  server = await startRadiusServer(database.db, {
    port: 0,
    host: "127.0.0.1",
    waitSeconds: 4,
    pollMs: 100,
  });
  target = `127.0.0.1:${server.port}`;
});
afterAll(async () => {
  await server?.close();
  await database.dispose();
});

/** An Access-Request as a current VPN sends it: with a Message-Authenticator (R-A20.2). */
function ask(attributes: Record<string, string>, options?: Parameters<typeof radclient>[3]) {
  return radclient(target, vpn.secret, { ...attributes, "Message-Authenticator": "0x00" }, options);
}

let people = 0;

/** A person with an authenticator app, whose code for the current step is still unused. */
async function personWithApp(role: "user" | "helpdesk" = "user") {
  const email = `vpn-${++people}@example.edu`;
  const { id, password } = await createTestUser(database.db, { email, displayName: "Pat", role });
  await beginAuthenticatorEnrolment(database.db, id, "Phone");
  const pending = await getPendingEnrolment(database.db, id, { issuer: "Factor", account: email });
  const earlier = new Date(Date.now() - 30_000);
  expect(
    await confirmAuthenticatorEnrolment(database.db, id, await totpCode(pending!.secret, earlier)),
  ).toMatchObject({ ok: true });
  return { id, email, password, secret: pending!.secret };
}

async function eventsOf(userId: string) {
  return database.db
    .select({
      app: signInEvents.app,
      clientId: signInEvents.clientId,
      result: signInEvents.result,
      reason: signInEvents.reason,
      methods: signInEvents.methods,
    })
    .from(signInEvents)
    .where(eq(signInEvents.userId, userId))
    .orderBy(desc(signInEvents.id));
}

describe("a code by challenge", () => {
  it("challenges after the password and accepts the code with the State", async () => {
    const person = await personWithApp();
    const first = await ask({ "User-Name": person.email, "User-Password": person.password });
    expect(first.code).toBe("Access-Challenge");
    expect(first.replyMessage).toBe(RADIUS_MESSAGES.enterCode);
    expect(first.state).toMatch(/^0x[0-9a-f]{40,}$/i);

    const second = await ask({
      "User-Name": person.email,
      "User-Password": await totpCode(person.secret),
      State: first.state!,
    });
    expect(second.code).toBe("Access-Accept");
    // My sign-ins shows the service by its name; the audit log has the decision.
    const [event] = await eventsOf(person.id);
    expect(event).toMatchObject({
      app: "VPN (Campus VPN)",
      clientId: `radius:${vpn.id}`,
      result: "success",
      reason: "signed_in",
      methods: ["pwd", "otp"],
    });
    const [audit] = await database.db
      .select({ details: auditLog.details })
      .from(auditLog)
      .where(and(eq(auditLog.subjectId, person.id), eq(auditLog.action, "auth.sign_in.succeeded")));
    expect(audit?.details).toMatchObject({ service: "VPN (Campus VPN)" });

    // The State is single use (R-A20.4).
    const again = await ask({
      "User-Name": person.email,
      "User-Password": await totpCode(person.secret),
      State: first.state!,
    });
    expect(again).toMatchObject({ code: "Access-Reject", replyMessage: RADIUS_MESSAGES.expired });
  });

  it("rejects a wrong code, and a code already used (R-A4.3)", async () => {
    const person = await personWithApp();
    const first = await ask({ "User-Name": person.email, "User-Password": person.password });
    const wrong = await ask({
      "User-Name": person.email,
      "User-Password": "000000" === (await totpCode(person.secret)) ? "111111" : "000000",
      State: first.state!,
    });
    expect(wrong).toMatchObject({ code: "Access-Reject", replyMessage: RADIUS_MESSAGES.wrongCode });

    const code = await totpCode(person.secret);
    const used = await ask({
      "User-Name": person.email,
      "User-Password": `${person.password},${code}`,
    });
    expect(used.code).toBe("Access-Accept");
    const replayed = await ask({
      "User-Name": person.email,
      "User-Password": `${person.password},${code}`,
    });
    expect(replayed.code).toBe("Access-Reject");
  });

  it("does not let another person answer a challenge", async () => {
    const person = await personWithApp();
    const other = await personWithApp();
    const first = await ask({ "User-Name": person.email, "User-Password": person.password });
    const answer = await ask({
      "User-Name": other.email,
      "User-Password": await totpCode(other.secret),
      State: first.state!,
    });
    expect(answer).toMatchObject({ code: "Access-Reject", replyMessage: RADIUS_MESSAGES.expired });
  });
});

describe("password,code in one request", () => {
  it("accepts the password and the code together", async () => {
    const person = await personWithApp();
    const reply = await ask({
      "User-Name": person.email,
      "User-Password": `${person.password},${await totpCode(person.secret)}`,
    });
    expect(reply.code).toBe("Access-Accept");
  });
});

describe("refusals", () => {
  it("answers a wrong password, an unknown account and a locked one alike (R-A18.1)", async () => {
    const person = await personWithApp();
    const wrong = await ask({ "User-Name": person.email, "User-Password": "not the password" });
    const unknown = await ask({
      "User-Name": "nobody-here@example.edu",
      "User-Password": "not the password",
    });
    // A lock earned on the web holds here too: the right password is refused the same way.
    const locked = await personWithApp();
    for (let i = 0; i < 10; i++) {
      await verifyPasswordStep(
        database.db,
        { email: locked.email, password: `wrong ${i}`, callbackPath: "/" },
        { ip: `198.51.100.${i + 1}`, userAgent: "vitest" },
      );
    }
    const whileLocked = await ask({ "User-Name": locked.email, "User-Password": locked.password });
    for (const reply of [wrong, unknown, whileLocked]) {
      expect(reply).toMatchObject({
        code: "Access-Reject",
        replyMessage: RADIUS_MESSAGES.refused,
        state: null,
      });
    }
    const [event] = await eventsOf(locked.id);
    expect(event).toMatchObject({ app: "VPN (Campus VPN)", result: "failure", reason: "locked" });
  });

  it("tells a person without MFA where to set it up", async () => {
    const email = "no-mfa@example.edu";
    const { password } = await createTestUser(database.db, {
      email,
      displayName: "Ned",
      role: "user",
    });
    const reply = await ask({ "User-Name": email, "User-Password": password });
    expect(reply.code).toBe("Access-Reject");
    expect(reply.replyMessage).toContain("You have not set up MFA yet");
    expect(reply.replyMessage).toContain(getEnv().PUBLIC_URL);
  });

  it("refuses a person whose role may not use the service", async () => {
    // A second client, for staff only, on IPv6 loopback: radclient's packets to ::1 come from ::1.
    const staff = await createRadiusClient(
      database.db,
      admin,
      { name: "Staff VPN", address: "::1", allowedRoles: ["helpdesk", "admin"] },
      why,
      context,
    );
    if (!staff.ok) throw new Error(staff.message);
    const other = await startRadiusServer(database.db, { port: 0, host: "::1", waitSeconds: 4 });
    try {
      const person = await personWithApp("user");
      const attributes = {
        "User-Name": person.email,
        "User-Password": `${person.password},${await totpCode(person.secret)}`,
        "Message-Authenticator": "0x00",
      };
      const refused = await radclient(`[::1]:${other.port}`, staff.secret, attributes);
      expect(refused).toMatchObject({
        code: "Access-Reject",
        replyMessage: RADIUS_MESSAGES.notAllowed,
      });
      const [event] = await eventsOf(person.id);
      expect(event).toMatchObject({
        app: "VPN (Staff VPN)",
        result: "failure",
        reason: "not_allowed",
      });
      // The same person may use the service open to everyone.
      expect((await ask({ ...attributes, "User-Password": person.password })).code).toBe(
        "Access-Challenge",
      );
    } finally {
      await other.close();
      await deleteRadiusClient(database.db, admin, staff.client.id, why, context);
    }
  });
});

describe("packets that are not answered (R-A20.1, R-A20.2)", () => {
  it("drops a request without a Message-Authenticator, and counts it", async () => {
    const person = await personWithApp();
    const before = getDropCounts().bad_authenticator;
    const reply = await radclient(
      target,
      vpn.secret,
      { "User-Name": person.email, "User-Password": person.password },
      { timeoutSeconds: 1, retries: 1 },
    );
    expect(reply.code).toBeNull();
    expect(getDropCounts().bad_authenticator).toBe(before + 1);
  });

  it("drops a request signed with the wrong secret", async () => {
    const before = getDropCounts().bad_authenticator;
    const reply = await radclient(
      target,
      "not-the-shared-secret",
      { "User-Name": "a@example.edu", "User-Password": "x", "Message-Authenticator": "0x00" },
      { timeoutSeconds: 1, retries: 1 },
    );
    expect(reply.code).toBeNull();
    expect(getDropCounts().bad_authenticator).toBe(before + 1);
  });

  it("drops a request from an address no client has, and counts it", async () => {
    // Listening on IPv6 loopback: radclient's packets then come from ::1, which no client holds.
    const other = await startRadiusServer(database.db, { port: 0, host: "::1", waitSeconds: 4 });
    try {
      const before = getDropCounts().unknown_source;
      const reply = await radclient(
        `[::1]:${other.port}`,
        vpn.secret,
        { "User-Name": "a@example.edu", "User-Password": "x", "Message-Authenticator": "0x00" },
        { timeoutSeconds: 1, retries: 1 },
      );
      expect(reply.code).toBeNull();
      expect(getDropCounts().unknown_source).toBe(before + 1);
    } finally {
      await other.close();
    }
  });

  it("answers without a Message-Authenticator once the client is relaxed, with one in the reply", async () => {
    const person = await personWithApp();
    await setMessageAuthenticatorRequired(database.db, admin, vpn.id, false, why, context);
    try {
      const reply = await radclient(target, vpn.secret, {
        "User-Name": person.email,
        "User-Password": person.password,
      });
      expect(reply.code).toBe("Access-Challenge");
      expect(reply.output).toContain("Message-Authenticator = 0x");
    } finally {
      await setMessageAuthenticatorRequired(database.db, admin, vpn.id, true, why, context);
    }
  });

  it("stops answering the old secret once it is rotated", async () => {
    const rotated = await rotateRadiusSecret(database.db, admin, vpn.id, why, context);
    if (!rotated.ok) throw new Error(rotated.message);
    const old = vpn.secret;
    vpn.secret = rotated.secret;
    const person = await personWithApp();
    const refused = await radclient(
      target,
      old,
      {
        "User-Name": person.email,
        "User-Password": person.password,
        "Message-Authenticator": "0x00",
      },
      { timeoutSeconds: 1, retries: 1 },
    );
    expect(refused.code).toBeNull();
    expect((await ask({ "User-Name": person.email, "User-Password": person.password })).code).toBe(
      "Access-Challenge",
    );
  });
});

// ── push ────────────────────────────────────────────────────────────────────

type Phone = { keys: CryptoKeyPair; deviceId: string };

async function signWith(keys: CryptoKeyPair, message: string): Promise<string> {
  const signature = await webcrypto.subtle.sign(
    { name: "ECDSA", hash: "SHA-256" },
    keys.privateKey,
    new TextEncoder().encode(message),
  );
  return Buffer.from(signature).toString("base64url");
}

/** A person whose default is the companion app's push, paired as Security info and the app do it. */
async function personWithPhone() {
  const email = `push-${++people}@example.edu`;
  const { id, password } = await createTestUser(database.db, {
    email,
    displayName: "Pat",
    role: "user",
  });
  const { token } = accepted(await beginPairing(database.db, id));
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
  expect(await confirmPairedPhone(database.db, id, await totpCode(paired.secret))).toMatchObject({
    ok: true,
  });
  const phone: Phone = { keys, deviceId: paired.deviceId };
  return { id, email, password, phone };
}

/** Waits for the person's pending request, as the phone would find it. */
async function pendingRequest(userId: string) {
  for (let i = 0; i < 50; i++) {
    const rows = await database.db
      .select({
        id: pushRequests.id,
        challenge: pushRequests.challenge,
        context: pushRequests.context,
      })
      .from(pushRequests)
      .where(and(eq(pushRequests.userId, userId), eq(pushRequests.status, "pending")));
    if (rows[0]) return rows[0];
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("no push request arrived");
}

async function answerOnPhone(
  phone: Phone,
  request: { id: string; challenge: string },
  decision: "approve" | "deny",
) {
  const signed = {
    requestId: request.id,
    challenge: request.challenge,
    decision,
    number: "",
    fraud: false,
  };
  return answerPushRequest(
    database.db,
    {
      deviceId: phone.deviceId,
      ...signed,
      signature: await signWith(phone.keys, answerMessage(signed)),
    },
    context,
  );
}

describe("push to the phone", () => {
  it("holds the request until the phone approves, and a retransmission sends no second push", async () => {
    const person = await personWithPhone();
    // radclient sends the same packet again every second until it gets an answer (R-A20.3).
    const reply = ask(
      { "User-Name": person.email, "User-Password": person.password },
      { timeoutSeconds: 1, retries: 4 },
    );
    const request = await pendingRequest(person.id);
    // The phone asks "Did you just sign in to VPN (Campus VPN)?": no number to type.
    expect(request.context.app).toBe("VPN (Campus VPN)");
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await answerOnPhone(person.phone, request, "approve")).toBe("approved");
    expect((await reply).code).toBe("Access-Accept");
    const all = await database.db
      .select({ id: pushRequests.id })
      .from(pushRequests)
      .where(eq(pushRequests.userId, person.id));
    expect(all).toHaveLength(1);
    const [event] = await eventsOf(person.id);
    expect(event).toMatchObject({
      app: "VPN (Campus VPN)",
      result: "success",
      methods: ["pwd", "swk"],
    });
  });

  it("rejects with the message when the phone denies", async () => {
    const person = await personWithPhone();
    const reply = ask(
      { "User-Name": person.email, "User-Password": person.password },
      { timeoutSeconds: 6 },
    );
    const request = await pendingRequest(person.id);
    expect(await answerOnPhone(person.phone, request, "deny")).toBe("denied");
    expect(await reply).toMatchObject({
      code: "Access-Reject",
      replyMessage: RADIUS_MESSAGES.denied,
    });
    const [event] = await eventsOf(person.id);
    expect(event).toMatchObject({ result: "failure", reason: "mfa_denied" });
  });

  it("rejects when the phone does not answer in time", async () => {
    const person = await personWithPhone();
    const reply = await ask(
      { "User-Name": person.email, "User-Password": person.password },
      { timeoutSeconds: 8 },
    );
    expect(reply).toMatchObject({
      code: "Access-Reject",
      replyMessage: RADIUS_MESSAGES.noResponse,
    });
    const rows = await database.db
      .select({ status: pushRequests.status })
      .from(pushRequests)
      .where(
        and(eq(pushRequests.userId, person.id), inArray(pushRequests.status, ["approved", "used"])),
      );
    expect(rows).toHaveLength(0);
  });

  it("refuses a typed number for a request that has none", async () => {
    const person = await personWithPhone();
    const reply = ask(
      { "User-Name": person.email, "User-Password": person.password },
      { timeoutSeconds: 8 },
    );
    const request = await pendingRequest(person.id);
    const signed = {
      requestId: request.id,
      challenge: request.challenge,
      decision: "approve" as const,
      number: "42",
      fraud: false,
    };
    expect(
      await answerPushRequest(
        database.db,
        {
          deviceId: person.phone.deviceId,
          ...signed,
          signature: await signWith(person.phone.keys, answerMessage(signed)),
        },
        context,
      ),
    ).toBe("refused");
    expect(await answerOnPhone(person.phone, request, "deny")).toBe("denied");
    expect((await reply).code).toBe("Access-Reject");
  });
});

// ── call ────────────────────────────────────────────────────────────────────

/** A person whose only method is an office phone: Factor calls it, and # approves. */
async function personWithOfficePhone() {
  const email = `call-${++people}@example.edu`;
  const { id, password } = await createTestUser(database.db, {
    email,
    displayName: "Pat",
    role: "user",
  });
  await database.db.insert(mfaMethods).values({
    userId: id,
    kind: "office_phone",
    label: "Office phone",
    status: "active",
    isDefault: true,
    confirmedAt: new Date(),
    data: { e164: "+441632960123", channel: "voice" },
  });
  return { id, email, password };
}

/** Waits for the call Factor places to the person, as the phone network would ring it. */
async function ringingCall(userId: string) {
  for (let i = 0; i < 100; i++) {
    const [row] = await database.db
      .select({ id: phoneChallenges.id })
      .from(phoneChallenges)
      .where(and(eq(phoneChallenges.userId, userId), eq(phoneChallenges.status, "ringing")));
    if (row) return row.id;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("no call was placed");
}

describe("a call to the phone", () => {
  it("holds the request while Factor calls: # lets the person in", async () => {
    const person = await personWithOfficePhone();
    const reply = ask(
      { "User-Name": person.email, "User-Password": person.password },
      { timeoutSeconds: 8 },
    );
    expect(await answerOutboxCall(database.db, await ringingCall(person.id), "#")).toBe("approved");
    expect((await reply).code).toBe("Access-Accept");
    const [event] = await eventsOf(person.id);
    expect(event).toMatchObject({ result: "success", methods: ["pwd", "tel"] });
  });

  it("refuses with the message when the call is answered without #", async () => {
    const person = await personWithOfficePhone();
    const reply = ask(
      { "User-Name": person.email, "User-Password": person.password },
      { timeoutSeconds: 8 },
    );
    expect(await answerOutboxCall(database.db, await ringingCall(person.id), "1")).toBe("declined");
    expect(await reply).toMatchObject({
      code: "Access-Reject",
      replyMessage: RADIUS_MESSAGES.denied,
    });
  });
});
