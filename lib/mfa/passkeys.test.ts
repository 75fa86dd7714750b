import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveSession } from "@/lib/auth/sessions";
import { signInWithPasskey } from "@/lib/auth/passkey-sign-in";
import { completeSignIn } from "@/lib/auth/sign-in";
import { getSignInTransaction } from "@/lib/auth/sign-in-transaction";
import {
  auditLog,
  mfaMethods,
  outbox,
  signInEvents,
  users,
  webauthnChallenges,
  webauthnCredentials,
} from "@/lib/db/schema";
import { createTestDatabase } from "@/lib/testing/test-database";
import { getMethodSummary } from "./methods";
import {
  beginPasskeyRegistration,
  beginPasskeySecondFactor,
  beginPasswordlessPasskey,
  finishPasskeyRegistration,
  relyingParty,
  verifyPasskeySecondFactor,
} from "./passkeys";
import { verifySecondFactor } from "./second-factor";
import { createTestUser } from "@/lib/testing/users";

// A software authenticator built from the WebAuthn specification: an ES256 key pair, attestation
// "none", and assertions signed over authenticatorData || SHA-256(clientDataJSON). Each test
// bends one thing an attacker controls and checks the server refuses it and what it leaves behind.

const request = { ip: "192.0.2.80", userAgent: "vitest" };
let database: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.dispose();
});

// ── a minimal CBOR encoder: unsigned and negative integers, byte and text strings, maps ──

function head(major: number, value: number): Buffer {
  if (value < 24) return Buffer.from([(major << 5) | value]);
  if (value < 256) return Buffer.from([(major << 5) | 24, value]);
  const out = Buffer.alloc(3);
  out[0] = (major << 5) | 25;
  out.writeUInt16BE(value, 1);
  return out;
}

type Cbor = number | string | Buffer | Map<Cbor, Cbor>;

function cbor(value: Cbor): Buffer {
  if (typeof value === "number") return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === "string") {
    const bytes = Buffer.from(value, "utf8");
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (Buffer.isBuffer(value)) return Buffer.concat([head(2, value.length), value]);
  const parts = [head(5, value.size)];
  for (const [k, v] of value) parts.push(cbor(k), cbor(v));
  return Buffer.concat(parts);
}

const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest();
const b64url = (data: Buffer) => data.toString("base64url");

const FLAG = { up: 0x01, uv: 0x04, be: 0x08, bs: 0x10, at: 0x40 };

type Ceremony = {
  origin?: string;
  rpId?: string;
  userVerified?: boolean;
  type?: string;
};

class SoftwareAuthenticator {
  readonly credentialId = randomBytes(16);
  private keys = generateKeyPairSync("ec", { namedCurve: "P-256" });
  counter = 0;
  constructor(private readonly options: { synced?: boolean; counting?: boolean } = {}) {}

  get id(): string {
    return b64url(this.credentialId);
  }

  private flags(base: number, ceremony: Ceremony): number {
    let flags = base | FLAG.up;
    if (ceremony.userVerified !== false) flags |= FLAG.uv;
    if (this.options.synced) flags |= FLAG.be | FLAG.bs;
    return flags;
  }

  private clientData(challenge: string, type: string, ceremony: Ceremony): Buffer {
    return Buffer.from(
      JSON.stringify({
        type: ceremony.type ?? type,
        challenge,
        origin: ceremony.origin ?? relyingParty().origin,
        crossOrigin: false,
      }),
    );
  }

  /** The browser's JSON for navigator.credentials.create(). */
  attest(challenge: string, ceremony: Ceremony = {}): string {
    const jwk = this.keys.publicKey.export({ format: "jwk" });
    const coseKey = cbor(
      new Map<Cbor, Cbor>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, Buffer.from(jwk.x!, "base64url")],
        [-3, Buffer.from(jwk.y!, "base64url")],
      ]),
    );
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.credentialId.length);
    const authData = Buffer.concat([
      sha256(ceremony.rpId ?? relyingParty().id),
      Buffer.from([this.flags(FLAG.at, ceremony)]),
      Buffer.alloc(4),
      Buffer.alloc(16), // AAGUID: none
      idLength,
      this.credentialId,
      coseKey,
    ]);
    const attestationObject = cbor(
      new Map<Cbor, Cbor>([
        ["fmt", "none"],
        ["attStmt", new Map()],
        ["authData", authData],
      ]),
    );
    return JSON.stringify({
      id: this.id,
      rawId: this.id,
      type: "public-key",
      clientExtensionResults: {},
      authenticatorAttachment: "platform",
      response: {
        clientDataJSON: b64url(this.clientData(challenge, "webauthn.create", ceremony)),
        attestationObject: b64url(attestationObject),
        transports: ["internal"],
      },
    });
  }

  /** The browser's JSON for navigator.credentials.get(). */
  assert(
    challenge: string,
    ceremony: Ceremony & { counter?: number; signWith?: KeyObject; userHandle?: string } = {},
  ): string {
    if (this.options.counting !== false) this.counter += 1;
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(ceremony.counter ?? (this.options.counting === false ? 0 : this.counter));
    const authData = Buffer.concat([
      sha256(ceremony.rpId ?? relyingParty().id),
      Buffer.from([this.flags(0, ceremony)]),
      counter,
    ]);
    const clientData = this.clientData(challenge, "webauthn.get", ceremony);
    const signature = sign("sha256", Buffer.concat([authData, sha256(clientData)]), {
      key: ceremony.signWith ?? this.keys.privateKey,
      dsaEncoding: "der",
    });
    return JSON.stringify({
      id: this.id,
      rawId: this.id,
      type: "public-key",
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64url(clientData),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        ...(ceremony.userHandle ? { userHandle: ceremony.userHandle } : {}),
      },
    });
  }
}

async function newUser(email: string) {
  const { id } = await createTestUser(database.db, {
    email,
    displayName: "Passkey Person",
    role: "user",
    mfaRequired: true,
  });
  return { id, email, displayName: "Passkey Person" };
}

/** A person with one registered passkey. */
async function registered(email: string, options: { synced?: boolean; counting?: boolean } = {}) {
  const user = await newUser(email);
  const authenticator = new SoftwareAuthenticator(options);
  const { challenge } = await beginPasskeyRegistration(database.db, user);
  const result = await finishPasskeyRegistration(database.db, user.id, {
    response: authenticator.attest(challenge),
    name: "Work laptop",
  });
  expect(result.ok).toBe(true);
  return { user, authenticator, methodId: result.ok ? result.value.methodId : "" };
}

async function secondFactorChallenge(
  userId: string,
  transactionId = `tx-${randomBytes(4).toString("hex")}`,
) {
  const options = await beginPasskeySecondFactor(database.db, { userId, transactionId });
  expect(options).not.toBeNull();
  return { challenge: options!.challenge, transactionId, options: options! };
}

async function storedCredential(id: string) {
  const [row] = await database.db
    .select()
    .from(webauthnCredentials)
    .where(eq(webauthnCredentials.id, id));
  return row!;
}

describe("registering a passkey (R-A7.4, R-A7.5)", () => {
  it("asks for a discoverable credential with user verification, for this site only", async () => {
    const user = await newUser("options@example.edu");
    const options = await beginPasskeyRegistration(database.db, user);
    expect(options.rp.id).toBe("localhost");
    expect(options.authenticatorSelection).toMatchObject({
      residentKey: "required",
      userVerification: "required",
    });
    expect(options.pubKeyCredParams.map((p) => p.alg)).toEqual([-8, -7, -257]);
    expect(options.user.name).toBe("options@example.edu");
    // 32 random bytes (R-A7.1), stored single-use with a five-minute life.
    expect(Buffer.from(options.challenge, "base64url")).toHaveLength(32);
    const [row] = await database.db
      .select()
      .from(webauthnChallenges)
      .where(eq(webauthnChallenges.challenge, options.challenge));
    expect(row).toMatchObject({ userId: user.id, purpose: "register", usedAt: null });
    const lifeMs = row!.expiresAt.getTime() - row!.createdAt.getTime();
    expect(lifeMs).toBeGreaterThan(4 * 60_000);
    expect(lifeMs).toBeLessThanOrEqual(5 * 60_000 + 1000);
  });

  it("stores the passkey as a method with its name, key, counter and sync state", async () => {
    const { user, authenticator, methodId } = await registered("stored@example.edu", {
      synced: true,
    });
    const row = await storedCredential(authenticator.id);
    expect(row).toMatchObject({
      userId: user.id,
      methodId,
      signCount: 0,
      deviceType: "multiDevice",
      backedUp: true,
      transports: ["internal"],
      counterRegressedAt: null,
    });
    const summary = await getMethodSummary(database.db, user.id);
    expect(summary.methods).toHaveLength(1);
    expect(summary.methods[0]).toMatchObject({
      kind: "passkey",
      label: "Work laptop",
      isDefault: true,
      data: { synced: true },
    });
    expect(summary.defaultChoice).toEqual({ option: "passkey", methodId: null });
    expect(summary.choices).toContainEqual({ option: "passkey", methodId: null });
  });

  it("excludes the person's passkeys when they add another, and refuses the same one twice", async () => {
    const { user, authenticator } = await registered("exclude@example.edu");
    const options = await beginPasskeyRegistration(database.db, user);
    expect(options.excludeCredentials?.map((c) => c.id)).toEqual([authenticator.id]);
    // A browser that ignored excludeCredentials: the server still refuses the duplicate.
    const again = await finishPasskeyRegistration(database.db, user.id, {
      response: authenticator.attest(options.challenge),
      name: "Again",
    });
    expect(again).toEqual({ ok: false, reason: "duplicate" });
    expect((await getMethodSummary(database.db, user.id)).methods).toHaveLength(1);
  });

  it("refuses an authenticator that did not verify the user, a foreign origin and a reused challenge", async () => {
    const user = await newUser("register-refused@example.edu");
    const authenticator = new SoftwareAuthenticator();
    const attempt = async (make: (challenge: string) => string) => {
      const { challenge } = await beginPasskeyRegistration(database.db, user);
      return finishPasskeyRegistration(database.db, user.id, {
        response: make(challenge),
        name: "x",
      });
    };
    expect(await attempt((c) => authenticator.attest(c, { userVerified: false }))).toEqual({
      ok: false,
      reason: "invalid",
    });
    expect(
      await attempt((c) => authenticator.attest(c, { origin: "https://factor.example.net" })),
    ).toEqual({ ok: false, reason: "invalid" });
    expect(await attempt((c) => authenticator.attest(c, { rpId: "example.net" }))).toEqual({
      ok: false,
      reason: "invalid",
    });
    // A challenge made for someone else is not this person's.
    const other = await newUser("register-other@example.edu");
    const foreign = await beginPasskeyRegistration(database.db, other);
    expect(
      await finishPasskeyRegistration(database.db, user.id, {
        response: authenticator.attest(foreign.challenge),
        name: "x",
      }),
    ).toEqual({ ok: false, reason: "invalid" });
    expect((await getMethodSummary(database.db, user.id)).methods).toHaveLength(0);

    const { challenge } = await beginPasskeyRegistration(database.db, user);
    const answer = authenticator.attest(challenge);
    expect(
      (await finishPasskeyRegistration(database.db, user.id, { response: answer, name: "a" })).ok,
    ).toBe(true);
    const reused = await finishPasskeyRegistration(database.db, user.id, {
      response: new SoftwareAuthenticator().attest(challenge),
      name: "b",
    });
    expect(reused).toEqual({ ok: false, reason: "invalid" });
    expect((await getMethodSummary(database.db, user.id)).methods).toHaveLength(1);
  });

  it("refuses answers that are not WebAuthn JSON", async () => {
    const user = await newUser("garbage@example.edu");
    for (const response of ["", "{}", "not json", JSON.stringify({ id: ["a"], rawId: "a" })]) {
      expect(
        await finishPasskeyRegistration(database.db, user.id, { response, name: "x" }),
      ).toEqual({ ok: false, reason: "invalid" });
    }
  });
});

describe("a passkey as the second factor (R-A7.1-7.3)", () => {
  it("accepts a valid assertion once, and records the counter and the use", async () => {
    const { user, authenticator, methodId } = await registered("valid@example.edu");
    const { challenge, transactionId, options } = await secondFactorChallenge(user.id);
    expect(options.allowCredentials?.map((c) => c.id)).toEqual([authenticator.id]);
    expect(options.userVerification).toBe("required");
    const answer = authenticator.assert(challenge);
    const result = await verifyPasskeySecondFactor(
      database.db,
      { userId: user.id, transactionId },
      answer,
      request,
    );
    expect(result).toEqual({ ok: true, userId: user.id, methodId, amr: "hwk" });
    expect((await storedCredential(authenticator.id)).signCount).toBe(1);
    const [method] = await database.db
      .select({ lastUsedAt: mfaMethods.lastUsedAt })
      .from(mfaMethods)
      .where(eq(mfaMethods.id, methodId));
    expect(method!.lastUsedAt).not.toBeNull();

    // The same answer again: its challenge is spent.
    const replayed = await verifyPasskeySecondFactor(
      database.db,
      { userId: user.id, transactionId },
      answer,
      request,
    );
    expect(replayed.ok).toBe(false);
    expect((await storedCredential(authenticator.id)).signCount).toBe(1);
  });

  it("goes through the second-factor check with its throttle and audit", async () => {
    const { user, authenticator } = await registered("through-check@example.edu");
    const { challenge, transactionId } = await secondFactorChallenge(user.id);
    const context = { ...request, purpose: "sign_in" as const, transactionId };
    expect(
      await verifySecondFactor(
        database.db,
        user,
        "passkey",
        authenticator.assert(challenge),
        context,
      ),
    ).toEqual({ ok: true, amr: "hwk" });
    const bad = await verifySecondFactor(
      database.db,
      user,
      "passkey",
      authenticator.assert(challenge),
      context,
    );
    expect(bad.ok).toBe(false);
    const audits = await database.db
      .select({ action: auditLog.action, details: auditLog.details })
      .from(auditLog)
      .where(eq(auditLog.subjectId, user.id));
    expect(audits.map((a) => a.action)).toEqual(
      expect.arrayContaining(["auth.mfa.succeeded", "auth.mfa.failed"]),
    );
  });

  it("refuses a tampered challenge, a foreign origin or RP ID, another key, a missing UV flag", async () => {
    const { user, authenticator } = await registered("refused@example.edu");
    const impostor = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    const cases: [string, (challenge: string) => string][] = [
      ["tampered challenge", () => authenticator.assert(b64url(randomBytes(32)))],
      ["wrong origin", (c) => authenticator.assert(c, { origin: "https://login.example.net" })],
      ["wrong port", (c) => authenticator.assert(c, { origin: "http://localhost:9999" })],
      ["wrong RP ID", (c) => authenticator.assert(c, { rpId: "example.net" })],
      ["wrong type", (c) => authenticator.assert(c, { type: "webauthn.create" })],
      ["another key", (c) => authenticator.assert(c, { signWith: impostor })],
      ["no user verification", (c) => authenticator.assert(c, { userVerified: false })],
    ];
    for (const [name, make] of cases) {
      const { challenge, transactionId } = await secondFactorChallenge(user.id);
      const result = await verifyPasskeySecondFactor(
        database.db,
        { userId: user.id, transactionId },
        make(challenge),
        request,
      );
      expect(result.ok, name).toBe(false);
    }
    // No refusal advanced the counter or marked the passkey.
    const row = await storedCredential(authenticator.id);
    expect(row.signCount).toBe(0);
    expect(row.counterRegressedAt).toBeNull();
  });

  it("refuses a challenge of another sign-in, an expired one, and another person's passkey", async () => {
    const { user, authenticator } = await registered("bound@example.edu");
    const first = await secondFactorChallenge(user.id);
    const wrongTransaction = await verifyPasskeySecondFactor(
      database.db,
      { userId: user.id, transactionId: "another-transaction" },
      authenticator.assert(first.challenge),
      request,
    );
    expect(wrongTransaction.ok).toBe(false);

    const expired = await secondFactorChallenge(user.id);
    await database.db
      .update(webauthnChallenges)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(eq(webauthnChallenges.challenge, expired.challenge));
    expect(
      (
        await verifyPasskeySecondFactor(
          database.db,
          { userId: user.id, transactionId: expired.transactionId },
          authenticator.assert(expired.challenge),
          request,
        )
      ).ok,
    ).toBe(false);

    // Someone else's valid passkey does not pass this person's second step (R-A7.2).
    const other = await registered("bound-other@example.edu");
    const mine = await secondFactorChallenge(user.id);
    expect(
      (
        await verifyPasskeySecondFactor(
          database.db,
          { userId: user.id, transactionId: mine.transactionId },
          other.authenticator.assert(mine.challenge),
          request,
        )
      ).ok,
    ).toBe(false);
  });

  it("refuses a counter that went backwards, marks the passkey, audits and tells the person", async () => {
    const { user, authenticator, methodId } = await registered("regress@example.edu");
    for (let i = 0; i < 3; i += 1) {
      const { challenge, transactionId } = await secondFactorChallenge(user.id);
      const ok = await verifyPasskeySecondFactor(
        database.db,
        { userId: user.id, transactionId },
        authenticator.assert(challenge),
        request,
      );
      expect(ok.ok).toBe(true);
    }
    expect((await storedCredential(authenticator.id)).signCount).toBe(3);

    // A copy of the key, still at counter 2, signs a genuine assertion.
    const { challenge, transactionId } = await secondFactorChallenge(user.id);
    const clone = await verifyPasskeySecondFactor(
      database.db,
      { userId: user.id, transactionId },
      authenticator.assert(challenge, { counter: 2 }),
      request,
    );
    expect(clone).toEqual({ ok: false, userId: user.id, reason: "counter_regressed" });
    const row = await storedCredential(authenticator.id);
    expect(row.signCount).toBe(3);
    expect(row.counterRegressedAt).not.toBeNull();
    const [audit] = await database.db
      .select()
      .from(auditLog)
      .where(
        and(eq(auditLog.subjectId, user.id), eq(auditLog.action, "mfa.passkey.counter_regressed")),
      );
    expect(audit?.details).toMatchObject({ methodId, previous: 3, next: 2 });
    const mail = await database.db.select().from(outbox).where(eq(outbox.userId, user.id));
    expect(mail.map((m) => m.subject)).toContain("A passkey was refused: it may have been copied");
    const [method] = await database.db
      .select({ data: mfaMethods.data })
      .from(mfaMethods)
      .where(eq(mfaMethods.id, methodId));
    expect(method!.data).toEqual({ synced: false, blocked: true });

    // The marked passkey stays refused, even with a counter that moves on.
    const later = await secondFactorChallenge(user.id);
    expect(
      await verifyPasskeySecondFactor(
        database.db,
        { userId: user.id, transactionId: later.transactionId },
        authenticator.assert(later.challenge, { counter: 10 }),
        request,
      ),
    ).toEqual({ ok: false, userId: user.id, reason: "blocked" });
  });

  it("accepts a passkey whose counter stays at zero (synced passkeys do not count)", async () => {
    const { user, authenticator } = await registered("zero@example.edu", {
      synced: true,
      counting: false,
    });
    for (let i = 0; i < 2; i += 1) {
      const { challenge, transactionId } = await secondFactorChallenge(user.id);
      const result = await verifyPasskeySecondFactor(
        database.db,
        { userId: user.id, transactionId },
        authenticator.assert(challenge),
        request,
      );
      expect(result).toMatchObject({ ok: true, amr: "swk" });
    }
    expect((await storedCredential(authenticator.id)).counterRegressedAt).toBeNull();
  });
});

describe("signing in with a passkey alone", () => {
  const handleOf = (userId: string) => Buffer.from(userId.replace(/-/g, ""), "hex");

  it("starts a sign-in with both factors and ends in a session at AAL2", async () => {
    const { user, authenticator } = await registered("passwordless@example.edu");
    const { challenge, allowCredentials, userVerification } = await beginPasswordlessPasskey(
      database.db,
    );
    expect(allowCredentials ?? []).toEqual([]);
    expect(userVerification).toBe("required");
    const result = await signInWithPasskey(
      database.db,
      {
        response: authenticator.assert(challenge, { userHandle: b64url(handleOf(user.id)) }),
        callbackPath: "/security-info",
      },
      request,
      { stayChoice: null },
    );
    expect(result).toMatchObject({ ok: true, stage: "stay_signed_in" });
    if (!result.ok) return;
    const transaction = await getSignInTransaction(database.db, result.transactionToken);
    expect(transaction).toMatchObject({ userId: user.id, methods: ["hwk", "user"] });
    expect(transaction!.secondFactorAt).not.toBeNull();
    const [event] = await database.db
      .select()
      .from(signInEvents)
      .where(eq(signInEvents.userId, user.id));
    expect(event).toMatchObject({ result: "interrupted", methods: ["hwk", "user"] });

    // "Stay signed in?" answered earlier in this browser: straight to a session.
    const { challenge: next } = await beginPasswordlessPasskey(database.db);
    const again = await signInWithPasskey(
      database.db,
      { response: authenticator.assert(next), callbackPath: "/" },
      request,
      { stayChoice: false },
    );
    expect(again).toMatchObject({ ok: true, stage: "ready", persistent: false });
    if (!again.ok) return;
    const sessionToken = await completeSignIn(database.db, again.transactionToken, request);
    const session = await resolveSession(database.db, sessionToken!);
    expect(session).toMatchObject({ aal: 2, methods: ["hwk", "user"] });
  });

  it("refuses a replayed answer, a user handle of someone else, a disabled account", async () => {
    const { user, authenticator } = await registered("passwordless-refused@example.edu");
    const { challenge } = await beginPasswordlessPasskey(database.db);
    const answer = authenticator.assert(challenge);
    const attempt = (response: string) =>
      signInWithPasskey(database.db, { response, callbackPath: "/" }, request);
    expect((await attempt(answer)).ok).toBe(true);
    expect(await attempt(answer)).toEqual({ ok: false });

    const other = await newUser("handle-other@example.edu");
    const second = await beginPasswordlessPasskey(database.db);
    expect(
      await attempt(
        authenticator.assert(second.challenge, { userHandle: b64url(handleOf(other.id)) }),
      ),
    ).toEqual({ ok: false });

    const third = await beginPasswordlessPasskey(database.db);
    expect(await attempt(authenticator.assert(third.challenge, { userVerified: false }))).toEqual({
      ok: false,
    });

    // A second-factor challenge is not a passwordless one.
    const bound = await secondFactorChallenge(user.id);
    expect(await attempt(authenticator.assert(bound.challenge))).toEqual({ ok: false });

    await database.db.update(users).set({ status: "disabled" }).where(eq(users.id, user.id));
    const fourth = await beginPasswordlessPasskey(database.db);
    expect(await attempt(authenticator.assert(fourth.challenge))).toEqual({ ok: false });

    const failures = await database.db
      .select({ reason: signInEvents.reason })
      .from(signInEvents)
      .where(and(eq(signInEvents.userId, user.id), eq(signInEvents.result, "failure")));
    expect(failures.map((f) => f.reason)).toEqual(
      expect.arrayContaining(["mfa_failed", "account_disabled"]),
    );
  });
});
