import { randomBytes } from "node:crypto";
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from "@simplewebauthn/server";
import { and, asc, eq, gt, isNull, lt, sql } from "drizzle-orm";
import { z } from "zod";
import { writeAudit } from "@/lib/audit/log";
import type { Executor } from "@/lib/db/client";
import { mfaMethods, users, webauthnChallenges, webauthnCredentials } from "@/lib/db/schema";
import { getEnv } from "@/lib/env";
import { queueSecurityNotice } from "@/lib/notify/security-notice";
import { methodAdded, refused, type Activation, type EnrolmentResult } from "./enrolment-result";
import { hasDefaultMethod } from "./methods";
import { limitFor } from "./registry";
import type { RequestContext } from "@/lib/types/request";
import { databaseNowPlus } from "@/lib/db/time";

// The one file that speaks to @simplewebauthn/server (STYLE.md "Wrapping libraries"). The server
// decides every rule itself — relying party, origin, algorithms, user verification — whatever the
// browser was asked or answered (R-A7.4); see docs/decisions/0010-passkeys.md.

/** The options a browser's ceremony takes, as JSON (the library's types, named here). */
export type PasskeyCreationOptions = PublicKeyCredentialCreationOptionsJSON;
export type PasskeyRequestOptions = PublicKeyCredentialRequestOptionsJSON;

const KIND = "passkey";

/** A challenge lives this long and is used once (R-A7.1). */
export const PASSKEY_CHALLENGE_TTL_MS = 5 * 60_000;
/** How long the browser's own prompt waits. */
const CEREMONY_TIMEOUT_MS = 2 * 60_000;
export const PASSKEY_NAME_MAX_LENGTH = 40;
/** A browser's answer is a few kilobytes; anything much larger is not one. */
const RESPONSE_MAX_LENGTH = 32_000;
/** COSE algorithms accepted: EdDSA, ES256, RS256. */
const ALLOWED_ALGORITHMS = [-8, -7, -257];

export type RelyingParty = { id: string; origin: string; name: string };

/** Who passkeys belong to: the public address's host name and exact origin. */
export function relyingParty(): RelyingParty {
  const { PUBLIC_URL, ORG_NAME } = getEnv();
  const url = new URL(PUBLIC_URL);
  return { id: url.hostname, origin: url.origin, name: ORG_NAME };
}

type ChallengePurpose = (typeof webauthnChallenges.$inferInsert)["purpose"];
type ChallengeBinding = {
  purpose: ChallengePurpose;
  userId: string | null;
  transactionId: string | null;
};

/** Where a use of a passkey came from, for the audit and the notice. */

/** Who a passkey is for, as the authenticator shows it (never secret). */
type PasskeyUser = { id: string; email: string; displayName: string };

/** Bytes as the library takes them (backed by a plain ArrayBuffer). */
function bytesOf(buffer: Buffer): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(buffer);
}

async function newChallenge(db: Executor, binding: ChallengeBinding) {
  // 32 random bytes (R-A7.1); the row key is the base64url form the browser signs.
  const bytes = randomBytes(32);
  await db.insert(webauthnChallenges).values({
    challenge: bytes.toString("base64url"),
    ...binding,
    expiresAt: databaseNowPlus(PASSKEY_CHALLENGE_TTL_MS),
  });
  return bytesOf(bytes);
}

/**
 * Marks a challenge used — exactly once, only for the purpose, person and sign-in it was made
 * for, and only before it expires. Called before the signature is checked, so two answers to one
 * challenge cannot both pass (R-A7.1).
 */
async function consumeChallenge(
  db: Executor,
  challenge: string,
  binding: ChallengeBinding,
): Promise<boolean> {
  const rows = await db
    .update(webauthnChallenges)
    .set({ usedAt: sql`now()` })
    .where(
      and(
        eq(webauthnChallenges.challenge, challenge),
        eq(webauthnChallenges.purpose, binding.purpose),
        binding.userId === null
          ? isNull(webauthnChallenges.userId)
          : eq(webauthnChallenges.userId, binding.userId),
        binding.transactionId === null
          ? isNull(webauthnChallenges.transactionId)
          : eq(webauthnChallenges.transactionId, binding.transactionId),
        isNull(webauthnChallenges.usedAt),
        gt(webauthnChallenges.expiresAt, sql`now()`),
      ),
    )
    .returning({ challenge: webauthnChallenges.challenge });
  return rows.length === 1;
}

/** The user handle given to authenticators: the account id's 16 bytes, nothing personal. */
function userHandle(userId: string) {
  return bytesOf(Buffer.from(userId.replace(/-/g, ""), "hex"));
}

const base64url = z
  .string()
  .min(1)
  .max(RESPONSE_MAX_LENGTH)
  .regex(/^[A-Za-z0-9_-]+$/);

const clientDataSchema = z.object({ challenge: base64url });

const credentialSchema = z.object({
  id: base64url,
  rawId: base64url,
  type: z.literal("public-key"),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.enum(["platform", "cross-platform"]).optional(),
});

const assertionSchema = credentialSchema.extend({
  response: z.object({
    clientDataJSON: base64url,
    authenticatorData: base64url,
    signature: base64url,
    userHandle: base64url.optional(),
  }),
});

const attestationSchema = credentialSchema.extend({
  response: z.object({
    clientDataJSON: base64url,
    attestationObject: base64url,
    transports: z.array(z.string().max(20)).max(10).optional(),
  }),
});

/** Parses a browser's JSON answer and reads the challenge it signed; null when it is not one. */
function parseAnswer<T extends z.ZodType<{ response: { clientDataJSON: string } }>>(
  schema: T,
  input: string,
): { answer: z.infer<T>; challenge: string } | null {
  if (input.length > RESPONSE_MAX_LENGTH) return null;
  try {
    const answer = schema.safeParse(JSON.parse(input));
    if (!answer.success) return null;
    const clientData = clientDataSchema.safeParse(
      JSON.parse(Buffer.from(answer.data.response.clientDataJSON, "base64url").toString("utf8")),
    );
    return clientData.success
      ? { answer: answer.data, challenge: clientData.data.challenge }
      : null;
  } catch {
    return null;
  }
}

type StoredCredential = {
  id: string;
  userId: string;
  methodId: string;
  label: string;
  publicKey: string;
  signCount: number;
  transports: string[];
  deviceType: string;
  counterRegressedAt: Date | null;
};

async function listCredentials(db: Executor, userId: string) {
  return db
    .select({ id: webauthnCredentials.id, transports: webauthnCredentials.transports })
    .from(webauthnCredentials)
    .innerJoin(mfaMethods, eq(mfaMethods.id, webauthnCredentials.methodId))
    .where(and(eq(webauthnCredentials.userId, userId), eq(mfaMethods.status, "active")))
    .orderBy(asc(webauthnCredentials.createdAt));
}

// ── registration ────────────────────────────────────────────────────────────

/**
 * Options for creating a passkey, with a fresh challenge bound to the person. The person's own
 * passkeys are excluded so one authenticator is not registered twice (R-A7.4); a discoverable
 * credential and user verification are required, so the passkey also signs in without a password.
 */
export async function beginPasskeyRegistration(
  db: Executor,
  user: PasskeyUser,
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const rp = relyingParty();
  const existing = await listCredentials(db, user.id);
  const challenge = await newChallenge(db, {
    purpose: "register",
    userId: user.id,
    transactionId: null,
  });
  return generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userID: userHandle(user.id),
    userName: user.email,
    userDisplayName: user.displayName,
    challenge,
    timeout: CEREMONY_TIMEOUT_MS,
    attestationType: "none",
    excludeCredentials: existing.map((c) => ({ id: c.id, transports: c.transports })),
    authenticatorSelection: { residentKey: "required", userVerification: "required" },
    supportedAlgorithmIDs: ALLOWED_ALGORITHMS,
  });
}

export type PasskeyRegistration = Activation & { credentialId: string; name: string };

/**
 * Checks the browser's answer to `beginPasskeyRegistration` and stores the passkey as an active
 * method named `name`, in the caller's transaction. The challenge is spent first, whatever the
 * outcome. Refused unless the origin, relying party, algorithm and user verification are the
 * server's own (R-A7.2, R-A7.4). The caller's transaction records and notifies.
 */
export async function finishPasskeyRegistration(
  db: Executor,
  userId: string,
  input: { response: string; name: string },
): Promise<EnrolmentResult<PasskeyRegistration>> {
  const parsed = parseAnswer(attestationSchema, input.response);
  if (!parsed) return refused("invalid");
  const binding = { purpose: "register" as const, userId, transactionId: null };
  if (!(await consumeChallenge(db, parsed.challenge, binding))) return refused("invalid");
  const rp = relyingParty();
  let verified;
  try {
    verified = await verifyRegistrationResponse({
      response: parsed.answer as RegistrationResponseJSON,
      expectedChallenge: parsed.challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      expectedType: "webauthn.create",
      requireUserPresence: true,
      requireUserVerification: true,
      supportedAlgorithmIDs: ALLOWED_ALGORITHMS,
    });
  } catch {
    return refused("invalid");
  }
  if (!verified.verified || !verified.registrationInfo.userVerified) return refused("invalid");
  const info = verified.registrationInfo;
  // Serialise registrations of one person so the limit holds under parallel requests.
  await db.execute(sql`select pg_advisory_xact_lock(hashtext(${`factor:passkeys:${userId}`}))`);
  const [count] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(mfaMethods)
    .where(and(eq(mfaMethods.userId, userId), eq(mfaMethods.kind, KIND)));
  if ((count?.n ?? 0) >= limitFor(KIND)) return refused("limit_reached");
  const [taken] = await db
    .select({ id: webauthnCredentials.id })
    .from(webauthnCredentials)
    .where(eq(webauthnCredentials.id, info.credential.id));
  if (taken) return refused("duplicate");

  const synced = info.credentialDeviceType === "multiDevice";
  const name = input.name.trim().slice(0, PASSKEY_NAME_MAX_LENGTH) || "Passkey";
  const isDefault = !(await hasDefaultMethod(db, userId));
  const [method] = await db
    .insert(mfaMethods)
    .values({
      userId,
      kind: KIND,
      label: name,
      status: "active",
      isDefault,
      confirmedAt: sql`now()`,
      data: { synced },
    })
    .returning({ id: mfaMethods.id });
  await db.insert(webauthnCredentials).values({
    id: info.credential.id,
    methodId: method!.id,
    userId,
    publicKey: Buffer.from(info.credential.publicKey).toString("base64url"),
    signCount: info.credential.counter,
    transports: parsed.answer.response.transports ?? [],
    deviceType: info.credentialDeviceType,
    backedUp: info.credentialBackedUp,
    aaguid: info.aaguid,
  });
  const credentialId = info.credential.id;
  return {
    ok: true,
    value: {
      ...methodAdded(KIND, method!.id, `Passkey "${name}"`, { credentialId, synced }),
      credentialId,
      name,
    },
  };
}

// ── signing in ──────────────────────────────────────────────────────────────

/**
 * Options for using one of the person's passkeys as the second factor of a sign-in (or a
 * step-up), bound to that sign-in's transaction. Null when the person has no passkey.
 */
export async function beginPasskeySecondFactor(
  db: Executor,
  binding: { userId: string; transactionId: string },
): Promise<PublicKeyCredentialRequestOptionsJSON | null> {
  const credentials = await listCredentials(db, binding.userId);
  if (credentials.length === 0) return null;
  const challenge = await newChallenge(db, { purpose: "second_factor", ...binding });
  return generateAuthenticationOptions({
    rpID: relyingParty().id,
    allowCredentials: credentials.map((c) => ({ id: c.id, transports: c.transports })),
    challenge,
    timeout: CEREMONY_TIMEOUT_MS,
    userVerification: "required",
  });
}

/** Options for signing in with a passkey alone: any discoverable passkey of this site. */
export async function beginPasswordlessPasskey(
  db: Executor,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const challenge = await newChallenge(db, {
    purpose: "passwordless",
    userId: null,
    transactionId: null,
  });
  return generateAuthenticationOptions({
    rpID: relyingParty().id,
    challenge,
    timeout: CEREMONY_TIMEOUT_MS,
    userVerification: "required",
  });
}

export type PasskeyAssertion =
  | {
      ok: true;
      userId: string;
      methodId: string;
      /** RFC 8176: "swk" for a synced passkey, "hwk" for one bound to its device. */
      amr: "hwk" | "swk";
    }
  | {
      ok: false;
      /** The account the passkey belongs to, when the passkey was one of ours. */
      userId: string | null;
      reason: "invalid" | "counter_regressed" | "blocked";
    };

/**
 * Checks an answer to a passkey challenge, in the caller's transaction: the challenge is spent
 * first; the credential must be an active passkey (of `binding.userId` when the person is known,
 * R-A7.2); type, challenge, origin, RP ID hash, user presence and verification and the signature
 * are checked; then the signature counter must grow unless it is zero throughout (R-A7.3). A
 * counter that went backwards marks the passkey, refuses it from then on, is audited and told.
 */
async function verifyAssertion(
  db: Executor,
  input: string,
  binding: ChallengeBinding,
  request: RequestContext,
): Promise<PasskeyAssertion> {
  const refused = (userId: string | null, reason: "invalid" | "counter_regressed" | "blocked") =>
    ({ ok: false, userId, reason }) as const;
  const parsed = parseAnswer(assertionSchema, input);
  if (!parsed) return refused(binding.userId, "invalid");
  if (!(await consumeChallenge(db, parsed.challenge, binding))) {
    return refused(binding.userId, "invalid");
  }
  const [stored] = await db
    .select({
      id: webauthnCredentials.id,
      userId: webauthnCredentials.userId,
      methodId: webauthnCredentials.methodId,
      label: mfaMethods.label,
      publicKey: webauthnCredentials.publicKey,
      signCount: webauthnCredentials.signCount,
      transports: webauthnCredentials.transports,
      deviceType: webauthnCredentials.deviceType,
      counterRegressedAt: webauthnCredentials.counterRegressedAt,
    })
    .from(webauthnCredentials)
    .innerJoin(mfaMethods, eq(mfaMethods.id, webauthnCredentials.methodId))
    .where(
      and(
        eq(webauthnCredentials.id, parsed.answer.id),
        eq(mfaMethods.status, "active"),
        ...(binding.userId ? [eq(webauthnCredentials.userId, binding.userId)] : []),
      ),
    );
  if (!stored) return refused(binding.userId, "invalid");
  const credential: StoredCredential = stored;
  // A discoverable passkey names its account too; it must be the credential's own.
  const handle = parsed.answer.response.userHandle;
  if (handle && handle !== Buffer.from(userHandle(credential.userId)).toString("base64url")) {
    return refused(credential.userId, "invalid");
  }
  if (credential.counterRegressedAt) return refused(credential.userId, "blocked");

  const rp = relyingParty();
  let verified;
  try {
    verified = await verifyAuthenticationResponse({
      response: parsed.answer as AuthenticationResponseJSON,
      expectedChallenge: parsed.challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      expectedType: "webauthn.get",
      requireUserVerification: true,
      // The counter is compared below, after the signature, so that only a genuine signature
      // with a stale counter — the mark of a copied key — is flagged.
      credential: {
        id: credential.id,
        publicKey: bytesOf(Buffer.from(credential.publicKey, "base64url")),
        counter: 0,
        transports: credential.transports,
      },
    });
  } catch {
    return refused(credential.userId, "invalid");
  }
  const info = verified.authenticationInfo;
  if (!verified.verified || !info.userVerified) return refused(credential.userId, "invalid");

  const previous = credential.signCount;
  const next = info.newCounter;
  const advanced =
    (next > 0 || previous > 0) && next <= previous
      ? []
      : await db
          .update(webauthnCredentials)
          .set({ signCount: next, backedUp: info.credentialBackedUp })
          // Compare-and-swap: a parallel use that got there first makes this one stale.
          .where(
            and(
              eq(webauthnCredentials.id, credential.id),
              next === 0
                ? eq(webauthnCredentials.signCount, 0)
                : lt(webauthnCredentials.signCount, next),
            ),
          )
          .returning({ id: webauthnCredentials.id });
  if (advanced.length === 0) {
    await flagCounterRegression(db, credential, { previous, next }, request);
    return refused(credential.userId, "counter_regressed");
  }
  await db
    .update(mfaMethods)
    .set({ lastUsedAt: sql`now()` })
    .where(eq(mfaMethods.id, credential.methodId));
  return {
    ok: true,
    userId: credential.userId,
    methodId: credential.methodId,
    amr: info.credentialDeviceType === "multiDevice" ? "swk" : "hwk",
  };
}

async function flagCounterRegression(
  db: Executor,
  credential: StoredCredential,
  counters: { previous: number; next: number },
  request: RequestContext,
): Promise<void> {
  await db
    .update(webauthnCredentials)
    .set({ counterRegressedAt: sql`now()` })
    .where(eq(webauthnCredentials.id, credential.id));
  // Shown in Security info beside the passkey, so the person knows to replace it.
  await db
    .update(mfaMethods)
    .set({ data: sql`coalesce(${mfaMethods.data}, '{}'::jsonb) || '{"blocked": true}'::jsonb` })
    .where(eq(mfaMethods.id, credential.methodId));
  await writeAudit(db, {
    action: "mfa.passkey.counter_regressed",
    outcome: "denied",
    actorId: credential.userId,
    subjectId: credential.userId,
    ...request,
    details: { methodId: credential.methodId, ...counters },
  });
  const [user] = await db
    .select({ id: users.id, email: users.email, displayName: users.displayName })
    .from(users)
    .where(eq(users.id, credential.userId));
  if (user) {
    await queueSecurityNotice(
      db,
      user,
      "passkey.counter_regressed",
      request,
      `"${credential.label}"`,
    );
  }
}

/**
 * The passkey answer to a second-factor challenge of this person's sign-in (or step-up)
 * transaction, checked in the caller's transaction.
 */
export async function verifyPasskeySecondFactor(
  db: Executor,
  binding: { userId: string; transactionId: string | null },
  response: string,
  request: RequestContext,
): Promise<PasskeyAssertion> {
  if (!binding.transactionId) return { ok: false, userId: binding.userId, reason: "invalid" };
  return verifyAssertion(db, response, { purpose: "second_factor", ...binding }, request);
}

/** A passkey answer to a passwordless challenge: whose passkey it is, if it holds. */
export async function verifyPasswordlessPasskey(
  db: Executor,
  response: string,
  request: RequestContext,
): Promise<PasskeyAssertion> {
  return verifyAssertion(
    db,
    response,
    { purpose: "passwordless", userId: null, transactionId: null },
    request,
  );
}

/** Deletes challenges that expired more than an hour ago. */
export async function purgePasskeyChallenges(db: Executor): Promise<void> {
  await db
    .delete(webauthnChallenges)
    .where(lt(webauthnChallenges.expiresAt, sql`now() - interval '1 hour'`));
}
