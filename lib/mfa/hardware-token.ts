import { and, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { Executor } from "@/lib/db/client";
import { hardwareTokens, mfaMethods } from "@/lib/db/schema";
import { unseal } from "@/lib/security/sealing";
import type { CodeCheck } from "./authenticator-app";
import { CODE_DEVICE_KINDS, METHOD_KIND_INFO } from "./registry";
import { matchTotp } from "./totp";
import { isUuid } from "@/lib/security/ids";

// Hardware OATH tokens (TOTP, R-A4.6) once they are in someone's hands. The inventory — import,
// assignment — lives in lib/admin/hardware-tokens.ts. A token's secret stays in hardware_tokens,
// sealed with the token's id as associated data; activating it adds an mfa_methods row (kind
// hardware_token) that holds the last accepted time-step, so it signs in like an authenticator app.

const KIND = "hardware_token";

/** A token's secret, or null when it cannot be opened (a sealing key missing on this instance). */
function openTokenSecret(tokenId: string, sealed: string): string | null {
  try {
    return unseal(sealed, tokenId);
  } catch (error) {
    console.error(
      `Cannot open the secret of hardware token ${tokenId}: ${(error as Error).message}. ` +
        "Every instance needs the same SEALING_KEYS.",
    );
    return null;
  }
}

export type TokenActivation =
  | { ok: true; methodId: string; serialNumber: string }
  | { ok: false; reason: "no_token" | "wrong_code" | "too_many_devices" };

/**
 * Activates a token assigned to `userId` with a code it shows now (R-A4.4: the method exists only
 * once a valid code was entered, and that code's step is spent). The token then counts towards
 * the five code devices. Runs in the caller's transaction; the caller audits and notifies.
 */
export async function activateHardwareToken(
  tx: Executor,
  userId: string,
  tokenId: string,
  code: string,
): Promise<TokenActivation> {
  if (!isUuid(tokenId)) return { ok: false, reason: "no_token" };
  const [token] = await tx
    .select({
      id: hardwareTokens.id,
      serialNumber: hardwareTokens.serialNumber,
      secretSealed: hardwareTokens.secretSealed,
      periodSeconds: hardwareTokens.periodSeconds,
      model: hardwareTokens.model,
    })
    .from(hardwareTokens)
    .where(
      and(
        eq(hardwareTokens.id, tokenId),
        eq(hardwareTokens.userId, userId),
        isNull(hardwareTokens.methodId),
      ),
    )
    .for("update");
  if (!token) return { ok: false, reason: "no_token" };
  const secret = openTokenSecret(token.id, token.secretSealed);
  const step = secret ? await matchTotp(secret, code, null, token.periodSeconds) : null;
  if (step === null) return { ok: false, reason: "wrong_code" };

  const [{ devices }] = (await tx
    .select({ devices: sql<number>`count(*)::int` })
    .from(mfaMethods)
    .where(
      and(
        eq(mfaMethods.userId, userId),
        inArray(mfaMethods.kind, [...CODE_DEVICE_KINDS]),
        eq(mfaMethods.status, "active"),
      ),
    )) as [{ devices: number }];
  if (devices >= METHOD_KIND_INFO.authenticator_app.maxPerUser)
    return { ok: false, reason: "too_many_devices" };

  const [hasDefault] = await tx
    .select({ id: mfaMethods.id })
    .from(mfaMethods)
    .where(and(eq(mfaMethods.userId, userId), eq(mfaMethods.isDefault, true)));
  const [method] = await tx
    .insert(mfaMethods)
    .values({
      userId,
      kind: KIND,
      label: `Serial ${token.serialNumber}`,
      status: "active",
      lastUsedStep: step,
      isDefault: !hasDefault,
      confirmedAt: sql`now()`,
      lastUsedAt: sql`now()`,
      data: { tokenId: token.id, serialNumber: token.serialNumber, model: token.model },
    })
    .returning({ id: mfaMethods.id });
  await tx
    .update(hardwareTokens)
    .set({ methodId: method!.id, activatedAt: sql`now()` })
    .where(eq(hardwareTokens.id, token.id));
  return { ok: true, methodId: method!.id, serialNumber: token.serialNumber };
}

/**
 * Checks a code against each of the user's activated tokens, each at its own period. As for
 * authenticator apps, the matched step is claimed with one conditional UPDATE so a code works
 * once, even when submitted twice at the same moment (R-A4.3).
 */
export async function verifyHardwareTokenCode(
  db: Executor,
  userId: string,
  code: string,
): Promise<CodeCheck> {
  const tokens = await db
    .select({
      methodId: mfaMethods.id,
      lastUsedStep: mfaMethods.lastUsedStep,
      tokenId: hardwareTokens.id,
      secretSealed: hardwareTokens.secretSealed,
      periodSeconds: hardwareTokens.periodSeconds,
    })
    .from(mfaMethods)
    .innerJoin(
      hardwareTokens,
      and(eq(hardwareTokens.methodId, mfaMethods.id), eq(hardwareTokens.userId, mfaMethods.userId)),
    )
    .where(
      and(
        eq(mfaMethods.userId, userId),
        eq(mfaMethods.kind, KIND),
        eq(mfaMethods.status, "active"),
      ),
    );
  let replay = false;
  for (const token of tokens) {
    const secret = openTokenSecret(token.tokenId, token.secretSealed);
    if (!secret) continue;
    const step = await matchTotp(secret, code, token.lastUsedStep, token.periodSeconds);
    if (step === null) {
      if (
        token.lastUsedStep !== null &&
        (await matchTotp(secret, code, null, token.periodSeconds)) !== null
      )
        replay = true;
      continue;
    }
    const claimed = await db
      .update(mfaMethods)
      .set({ lastUsedStep: step, lastUsedAt: sql`now()` })
      .where(
        and(
          eq(mfaMethods.id, token.methodId),
          or(isNull(mfaMethods.lastUsedStep), lt(mfaMethods.lastUsedStep, step)),
        ),
      )
      .returning({ id: mfaMethods.id });
    if (claimed.length === 1) return { ok: true, methodId: token.methodId };
    replay = true;
  }
  return { ok: false, replay };
}
