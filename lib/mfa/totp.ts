import { generate, generateSecret, generateURI, verify } from "otplib";
import { clock } from "@/lib/clock";

// The only file that imports otplib (RFC 6238: HMAC-SHA-1, 6 digits, 30 s).

export const TOTP_PERIOD_SECONDS = 30;
/** 160-bit secrets (R-A4.1). */
const SECRET_BYTES = 20;

/** A new base32 secret from a CSPRNG. */
export function newTotpSecret(): string {
  return generateSecret({ length: SECRET_BYTES });
}

/** The otpauth:// URI an authenticator app scans. */
export function totpUri(input: { issuer: string; account: string; secret: string }): string {
  return generateURI({ issuer: input.issuer, label: input.account, secret: input.secret });
}

/**
 * Checks a code against the server's clock, accepting only the current step and one either side
 * (R-A4.2), and only steps after `afterStep` (R-A4.3). Returns the matched step, or null.
 */
export async function matchTotp(
  secret: string,
  code: string,
  afterStep: number | null,
  period = TOTP_PERIOD_SECONDS,
): Promise<number | null> {
  try {
    const result = await verify({
      secret,
      token: code,
      period,
      epoch: Math.floor(clock.ms() / 1000),
      epochTolerance: period,
      ...(afterStep !== null ? { afterTimeStep: afterStep } : {}),
    });
    return result.valid && "timeStep" in result ? result.timeStep : null;
  } catch {
    return null; // malformed input or secret: a failed attempt, never a pass (R-A17.6)
  }
}

/** The code for a secret at a time: what an authenticator app shows. */
export function totpCode(
  secret: string,
  at: Date = clock.now(),
  period = TOTP_PERIOD_SECONDS,
): Promise<string> {
  return generate({ secret, period, epoch: Math.floor(at.getTime() / 1000) });
}
