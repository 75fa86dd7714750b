import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { getSecrets, type SealingKey } from "@/lib/env";

// MFA secrets are sealed at rest with AES-256-GCM (R-A3.4). A sealed value names the key that
// sealed it, so keys can rotate: the first SEALING_KEYS entry seals, any listed key unseals.
// Format: v1.<keyId>.<iv>.<tag>.<ciphertext>, base64url parts. The context (e.g. the method id)
// is bound as associated data, so a sealed value copied to another row does not open.

const VERSION = "v1";
// GCM's full tag and its standard IV. Node's decipher accepts any tag from 4 bytes unless told the
// length, and a 4-byte tag is forged in about 2^32 tries: a value the client holds (a phone
// sign-in ticket) must never open with less than all 16 bytes.
const TAG_BYTES = 16;
const IV_BYTES = 12;

/** Seals a secret with the current key. */
export function seal(
  plaintext: string,
  context: string,
  keys: SealingKey[] = getSecrets().sealingKeys,
): string {
  const key = keys[0];
  if (!key) throw new Error("No sealing key configured");
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key.key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(context));
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return [VERSION, key.id, iv, cipher.getAuthTag(), ciphertext]
    .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
    .join(".");
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Opens a sealed secret; throws if it was tampered with, moved, or its key is gone. Only the
 * exact shape `seal` writes is read: five parts, a 12-byte IV and the full 16-byte tag.
 */
export function unseal(
  sealed: string,
  context: string,
  keys: SealingKey[] = getSecrets().sealingKeys,
): string {
  const parts = sealed.split(".");
  const [version, keyId, ivText, tagText, ciphertext] = parts;
  if (
    parts.length !== 5 ||
    version !== VERSION ||
    !keyId ||
    ciphertext === undefined ||
    !parts.slice(2).every((part) => BASE64URL.test(part))
  ) {
    throw new Error("Not a sealed value");
  }
  const iv = Buffer.from(ivText!, "base64url");
  const tag = Buffer.from(tagText!, "base64url");
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new Error("Not a sealed value");
  const key = keys.find((candidate) => candidate.id === keyId);
  if (!key) throw new Error(`Sealing key ${keyId} is not configured`);
  const decipher = createDecipheriv("aes-256-gcm", key.key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(context));
  decipher.setAuthTag(tag);
  return Buffer.concat([
    decipher.update(Buffer.from(ciphertext, "base64url")),
    decipher.final(),
  ]).toString("utf8");
}

/** The id of the key a value was sealed with, for re-sealing after rotation. */
export function sealedWith(sealed: string): string | undefined {
  return sealed.split(".")[1];
}
