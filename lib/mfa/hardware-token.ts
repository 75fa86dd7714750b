import { and, eq, isNull, sql } from "drizzle-orm";
import type { Executor } from "@/lib/db/client";
import { hardwareTokens, mfaMethods } from "@/lib/db/schema";
import { claimCode, countCodeDevices, openDeviceSecret, type CodeCheck } from "./code-devices";
import { refused, type Activation, type EnrolmentResult } from "./enrolment-result";
import { hasDefaultMethod } from "./methods";
import { limitFor } from "./registry";
import { matchTotp } from "./totp";
import { isUuid } from "@/lib/security/ids";

// Hardware OATH tokens (TOTP, R-A4.6) once they are in someone's hands. The inventory — import,
// assignment — lives in lib/admin/hardware-tokens.ts. A token's secret stays in hardware_tokens,
// sealed with the token's id as associated data; activating it adds an mfa_methods row (kind
// hardware_token) that holds the last accepted time-step, so it signs in like an authenticator app.

const KIND = "hardware_token";

export type TokenActivation = Activation & { serialNumber: string };

/**
 * Activates a token assigned to `userId` with a code it shows now (R-A4.4: the method exists only
 * once a valid code was entered, and that code's step is spent). The token then counts towards
 * the code devices' shared limit. Runs in the caller's transaction, which records and notifies.
 */
export async function activateHardwareToken(
  tx: Executor,
  userId: string,
  tokenId: string,
  code: string,
): Promise<EnrolmentResult<TokenActivation>> {
  if (!isUuid(tokenId)) return refused("not_found");
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
  if (!token) return refused("not_found");
  const secret = openDeviceSecret(token.secretSealed, token.id, "hardware token");
  const step = secret ? await matchTotp(secret, code, null, token.periodSeconds) : null;
  if (step === null) return refused("wrong_code");
  if ((await countCodeDevices(tx, userId)) >= limitFor(KIND)) return refused("limit_reached");

  const isDefault = !(await hasDefaultMethod(tx, userId));
  const [method] = await tx
    .insert(mfaMethods)
    .values({
      userId,
      kind: KIND,
      label: `Serial ${token.serialNumber}`,
      status: "active",
      lastUsedStep: step,
      isDefault,
      confirmedAt: sql`now()`,
      lastUsedAt: sql`now()`,
      data: { tokenId: token.id, serialNumber: token.serialNumber, model: token.model },
    })
    .returning({ id: mfaMethods.id });
  await tx
    .update(hardwareTokens)
    .set({ methodId: method!.id, activatedAt: sql`now()` })
    .where(eq(hardwareTokens.id, token.id));
  const { serialNumber } = token;
  return {
    ok: true,
    value: {
      methodId: method!.id,
      serialNumber,
      audit: {
        action: "mfa.hardware_token.activated",
        details: { tokenId: token.id, methodId: method!.id, serialNumber },
      },
      notice: { event: "method.added", detail: `Hardware token, serial number ${serialNumber}` },
    },
  };
}

/** Checks a code against each of the user's activated tokens, claiming its step (R-A4.3). */
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
  return claimCode(
    db,
    tokens.map((token) => ({
      methodId: token.methodId,
      secret: openDeviceSecret(token.secretSealed, token.tokenId, "hardware token"),
      lastUsedStep: token.lastUsedStep,
      periodSeconds: token.periodSeconds,
    })),
    code,
  );
}
