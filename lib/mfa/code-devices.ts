import { and, eq, gt, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { Executor } from "@/lib/db/client";
import { mfaMethods } from "@/lib/db/schema";
import { unseal } from "@/lib/security/sealing";
import { hasDefaultMethod } from "./methods";
import { CODE_DEVICE_KINDS } from "./registry";
import { matchTotp } from "./totp";
import type { Result } from "@/lib/types/result";

// Devices that show time-based codes — authenticator apps, phones paired with the companion app,
// hardware tokens — share one rule: each time-step is accepted once (R-A4.3), the one entered to
// enrol a device included (R-A4.4). `last_used_step` only ever moves forward, here.

/** A device a code is checked against, its secret opened. */
export type CodeDevice = {
  methodId: string;
  /** Null when the secret cannot be opened: the code then simply does not match. */
  secret: string | null;
  lastUsedStep: number | null;
  periodSeconds?: number;
};

export type CodeCheck = Result<{ methodId: string }, "wrong_answer" | "replayed_code">;

/**
 * A device's secret, or null when it cannot be opened — a sealing key missing or changed on this
 * instance. That fails closed (the code does not match) and tells the operator, never the secret.
 */
export function openDeviceSecret(
  sealed: string | null,
  sealedFor: string,
  device: "authenticator" | "hardware token",
): string | null {
  if (!sealed) return null;
  try {
    return unseal(sealed, sealedFor);
  } catch (error) {
    console.error(
      `Cannot open the secret of ${device} ${sealedFor}: ${(error as Error).message}. ` +
        "Every instance needs the same SEALING_KEYS.",
    );
    return null;
  }
}

/**
 * Checks a code against a person's devices, each at its own period. A matched step is claimed
 * with one conditional UPDATE, so the same code submitted twice — in parallel, from two sessions —
 * succeeds exactly once (R-A4.3). A code whose step was spent already is reported as a replay.
 */
export async function claimCode(
  db: Executor,
  devices: CodeDevice[],
  code: string,
): Promise<CodeCheck> {
  let replay = false;
  for (const { methodId, secret, lastUsedStep, periodSeconds } of devices) {
    if (!secret) continue;
    const step = await matchTotp(secret, code, lastUsedStep, periodSeconds);
    if (step === null) {
      // Seen before? Then it is a replay, reported out-of-band but answered generically.
      if (lastUsedStep !== null && (await matchTotp(secret, code, null, periodSeconds)) !== null)
        replay = true;
      continue;
    }
    const claimed = await db
      .update(mfaMethods)
      .set({ lastUsedStep: step, lastUsedAt: sql`now()` })
      .where(
        and(
          eq(mfaMethods.id, methodId),
          or(isNull(mfaMethods.lastUsedStep), lt(mfaMethods.lastUsedStep, step)),
        ),
      )
      .returning({ id: mfaMethods.id });
    if (claimed.length === 1) return { ok: true, methodId };
    replay = true;
  }
  return { ok: false, reason: replay ? "replayed_code" : "wrong_answer" };
}

/** The person's active authenticator apps and hardware tokens: they share one limit (limitFor). */
export async function countCodeDevices(db: Executor, userId: string): Promise<number> {
  const [{ count }] = (await db
    .select({ count: sql<number>`count(*)::int` })
    .from(mfaMethods)
    .where(
      and(
        eq(mfaMethods.userId, userId),
        inArray(mfaMethods.kind, [...CODE_DEVICE_KINDS]),
        eq(mfaMethods.status, "active"),
      ),
    )) as [{ count: number }];
  return count;
}

type EnrolledDeviceKind = "authenticator_app" | "companion_app";

/** The person's unexpired device of `kind` waiting for its first code, its secret still sealed. */
export async function findPendingDevice(db: Executor, userId: string, kind: EnrolledDeviceKind) {
  const [row] = await db
    .select({ id: mfaMethods.id, label: mfaMethods.label, secretSealed: mfaMethods.secretSealed })
    .from(mfaMethods)
    .where(
      and(
        eq(mfaMethods.userId, userId),
        eq(mfaMethods.kind, kind),
        eq(mfaMethods.status, "pending"),
        gt(mfaMethods.expiresAt, sql`now()`),
      ),
    );
  return row?.secretSealed ? { ...row, secretSealed: row.secretSealed } : null;
}

/**
 * Activates the person's pending device of `kind` with a code it shows now: the method becomes
 * active with that code's step spent, so the code cannot also be the next sign-in code (R-A4.4),
 * and it is the default when the person has none. Null when nothing is pending or the code is wrong.
 */
export async function activatePendingDevice(
  db: Executor,
  userId: string,
  kind: EnrolledDeviceKind,
  code: string,
): Promise<{ methodId: string; label: string } | null> {
  const row = await findPendingDevice(db, userId, kind);
  if (!row) return null;
  const secret = openDeviceSecret(row.secretSealed, row.id, "authenticator");
  const step = secret ? await matchTotp(secret, code, null) : null;
  if (step === null) return null;
  const isDefault = !(await hasDefaultMethod(db, userId));
  const activated = await db
    .update(mfaMethods)
    .set({
      status: "active",
      lastUsedStep: step,
      confirmedAt: sql`now()`,
      lastUsedAt: sql`now()`,
      expiresAt: null,
      isDefault,
    })
    .where(and(eq(mfaMethods.id, row.id), eq(mfaMethods.status, "pending")))
    .returning({ id: mfaMethods.id });
  return activated[0] ? { methodId: row.id, label: row.label } : null;
}
