import { and, eq, gt, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { Executor } from "@/lib/db/client";
import { mfaMethods } from "@/lib/db/schema";
import { seal, unseal } from "@/lib/security/sealing";
import { CODE_DEVICE_KINDS, METHOD_KIND_INFO } from "./registry";
import { matchTotp, newTotpSecret, totpUri } from "./totp";

// Authenticator apps (TOTP, R-A4). Each device is its own method row with its own secret.

const KIND = "authenticator_app";
const ENROLMENT_TTL_MS = 30 * 60_000;
/** What a user may call a device. */
export const DEVICE_NAME_MAX = 40;

export class TooManyDevicesError extends Error {}

/** Starts an enrolment: a pending method with a fresh sealed secret. */
export async function beginAuthenticatorEnrolment(
  db: Executor,
  userId: string,
  label: string,
): Promise<string> {
  const [{ count }] = (await db
    .select({ count: sql<number>`count(*)::int` })
    .from(mfaMethods)
    .where(
      and(
        eq(mfaMethods.userId, userId),
        // Hardware tokens count too: five code devices in all.
        inArray(mfaMethods.kind, [...CODE_DEVICE_KINDS]),
        eq(mfaMethods.status, "active"),
      ),
    )) as [{ count: number }];
  if (count >= METHOD_KIND_INFO.authenticator_app.maxPerUser) throw new TooManyDevicesError();
  // One enrolment at a time: a restarted wizard replaces the abandoned one.
  await db
    .delete(mfaMethods)
    .where(and(eq(mfaMethods.userId, userId), eq(mfaMethods.status, "pending")));
  const id = crypto.randomUUID();
  await db.insert(mfaMethods).values({
    id,
    userId,
    kind: KIND,
    label: label.trim().slice(0, DEVICE_NAME_MAX) || "Authenticator app",
    status: "pending",
    secretSealed: seal(newTotpSecret(), id),
    expiresAt: new Date(Date.now() + ENROLMENT_TTL_MS),
  });
  return id;
}

/** The user's unexpired enrolment in progress, its secret still sealed. */
async function findPending(db: Executor, userId: string) {
  const [row] = await db
    .select({ id: mfaMethods.id, label: mfaMethods.label, secretSealed: mfaMethods.secretSealed })
    .from(mfaMethods)
    .where(
      and(
        eq(mfaMethods.userId, userId),
        eq(mfaMethods.kind, KIND),
        eq(mfaMethods.status, "pending"),
        gt(mfaMethods.expiresAt, sql`now()`),
      ),
    );
  return row?.secretSealed ? { ...row, secretSealed: row.secretSealed } : null;
}

export type PendingEnrolment = { id: string; label: string; secret: string; uri: string };

/** The user's enrolment in progress with its secret — shown only until confirmed (R-A4.4). */
export async function getPendingEnrolment(
  db: Executor,
  userId: string,
  identity: { issuer: string; account: string },
): Promise<PendingEnrolment | null> {
  const row = await findPending(db, userId);
  if (!row) return null;
  const secret = unseal(row.secretSealed, row.id);
  return { id: row.id, label: row.label, secret, uri: totpUri({ ...identity, secret }) };
}

/**
 * Confirms the pending enrolment with a code from the app. The code's step is recorded as used,
 * so it cannot also serve as the next sign-in code (R-A4.4). The first method becomes the default.
 */
export async function confirmAuthenticatorEnrolment(
  db: Executor,
  userId: string,
  code: string,
): Promise<{ methodId: string } | null> {
  const row = await findPending(db, userId);
  if (!row) return null;
  const step = await matchTotp(unseal(row.secretSealed, row.id), code, null);
  if (step === null) return null;
  const [hasDefault] = await db
    .select({ id: mfaMethods.id })
    .from(mfaMethods)
    .where(and(eq(mfaMethods.userId, userId), eq(mfaMethods.isDefault, true)));
  const confirmed = await db
    .update(mfaMethods)
    .set({
      status: "active",
      lastUsedStep: step,
      confirmedAt: sql`now()`,
      lastUsedAt: sql`now()`,
      expiresAt: null,
      isDefault: !hasDefault,
    })
    .where(and(eq(mfaMethods.id, row.id), eq(mfaMethods.status, "pending")))
    .returning({ id: mfaMethods.id });
  return confirmed[0] ? { methodId: row.id } : null;
}

/**
 * A device's secret, or null when it cannot be opened — a sealing key missing or changed on this
 * instance. That fails closed (the code does not match) and tells the operator, never the secret.
 */
function openSecret(methodId: string, sealed: string | null): string | null {
  if (!sealed) return null;
  try {
    return unseal(sealed, methodId);
  } catch (error) {
    console.error(
      `Cannot open the secret of authenticator ${methodId}: ${(error as Error).message}. ` +
        "Every instance needs the same SEALING_KEYS.",
    );
    return null;
  }
}

export type CodeCheck = { ok: true; methodId: string } | { ok: false; replay: boolean };

/**
 * Checks a code against each of the user's authenticator apps. A matched step is claimed with
 * one conditional UPDATE, so the same code submitted twice — in parallel, from two sessions —
 * succeeds exactly once (R-A4.3).
 */
export async function verifyAuthenticatorCode(
  db: Executor,
  userId: string,
  code: string,
): Promise<CodeCheck> {
  const devices = await db
    .select({
      id: mfaMethods.id,
      secretSealed: mfaMethods.secretSealed,
      lastUsedStep: mfaMethods.lastUsedStep,
    })
    .from(mfaMethods)
    .where(
      and(
        eq(mfaMethods.userId, userId),
        // A phone paired with the companion app shows codes too (lib/mfa/companion.ts).
        inArray(mfaMethods.kind, [KIND, "companion_app"]),
        eq(mfaMethods.status, "active"),
      ),
    );
  let replay = false;
  for (const device of devices) {
    const secret = openSecret(device.id, device.secretSealed);
    if (!secret) continue;
    const step = await matchTotp(secret, code, device.lastUsedStep);
    if (step === null) {
      // Seen before? Then it is a replay, reported out-of-band but answered generically.
      if (device.lastUsedStep !== null && (await matchTotp(secret, code, null)) !== null)
        replay = true;
      continue;
    }
    const claimed = await db
      .update(mfaMethods)
      .set({ lastUsedStep: step, lastUsedAt: sql`now()` })
      .where(
        and(
          eq(mfaMethods.id, device.id),
          or(isNull(mfaMethods.lastUsedStep), lt(mfaMethods.lastUsedStep, step)),
        ),
      )
      .returning({ id: mfaMethods.id });
    if (claimed.length === 1) return { ok: true, methodId: device.id };
    replay = true;
  }
  return { ok: false, replay };
}
