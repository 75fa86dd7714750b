import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { getSecrets, type SealingKey } from "@/lib/env";

// MFA secrets are sealed at rest with AES-256-GCM (R-A3.4). A sealed value names the key that
// sealed it, so keys can rotate: the first SEALING_KEYS entry seals, any listed key unseals.
// Format: v1.<keyId>.<iv>.<tag>.<ciphertext>, base64url parts. The context (e.g. the method id)
// is bound as associated data, so a sealed value copied to another row does not open.

const VERSION = "v1";

/** Seals a secret with the current key. */
export function seal(
  plaintext: string,
  context: string,
  keys: SealingKey[] = getSecrets().sealingKeys,
): string {
  const key = keys[0];
  if (!key) throw new Error("No sealing key configured");
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key.key, iv);
  cipher.setAAD(Buffer.from(context));
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return [VERSION, key.id, iv, cipher.getAuthTag(), ciphertext]
    .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
    .join(".");
}

/** Opens a sealed secret; throws if it was tampered with, moved, or its key is gone. */
export function unseal(
  sealed: string,
  context: string,
  keys: SealingKey[] = getSecrets().sealingKeys,
): string {
  const [version, keyId, iv, tag, ciphertext] = sealed.split(".");
  if (version !== VERSION || !keyId || !iv || !tag || ciphertext === undefined) {
    throw new Error("Not a sealed value");
  }
  const key = keys.find((candidate) => candidate.id === keyId);
  if (!key) throw new Error(`Sealing key ${keyId} is not configured`);
  const decipher = createDecipheriv("aes-256-gcm", key.key, Buffer.from(iv, "base64url"));
  decipher.setAAD(Buffer.from(context));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([
    decipher.update(Buffer.from(ciphertext, "base64url")),
    decipher.final(),
  ]).toString("utf8");
}

/** The id of the key a value was sealed with, for re-sealing after rotation. */
export function sealedWith(sealed: string): string | undefined {
  return sealed.split(".")[1];
}
