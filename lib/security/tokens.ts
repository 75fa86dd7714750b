import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** A 256-bit random token for cookies (R-A12.1, R-A3.7). */
export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

/** How a token is stored: its SHA-256, so a database leak yields no usable session. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** Keyed fingerprint of a secret, for "have we seen this value" checks without storing it. */
export function fingerprint(key: string, ...parts: string[]): string {
  const mac = createHmac("sha256", key);
  for (const part of parts) mac.update(part).update("\u0000");
  return mac.digest("base64url").slice(0, 22);
}

/** Constant-time comparison of two strings (R-A3.6). */
export function safeEqual(a: string, b: string): boolean {
  const left = createHash("sha256").update(a).digest();
  const right = createHash("sha256").update(b).digest();
  return timingSafeEqual(left, right);
}
