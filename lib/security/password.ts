import { randomInt } from "node:crypto";
import { hash, verify } from "@node-rs/argon2";

// Algorithm.Argon2id in @node-rs/argon2 (a const enum, which isolated modules cannot read).
const ARGON2ID = 2;

/** argon2id at the OWASP/ASVS minimum m=19 MiB, t=2, p=1 (R-A3.1). */
export const PASSWORD_HASH_PARAMS = {
  algorithm: ARGON2ID,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_RECOMMENDED_LENGTH = 15;
/** Longer input is refused before hashing (R-A2.2: long-password DoS guard). */
export const PASSWORD_MAX_LENGTH = 256;

/** Unicode-normalised form that is hashed; no truncation, no case folding (R-A2.5). */
function normalise(password: string): string {
  return password.normalize("NFKC");
}

/** Length in code points, as R-A2.1 counts it. */
export function passwordLength(password: string): number {
  return [...password].length;
}

/** Hashes a password into a PHC string. */
export function hashPassword(password: string): Promise<string> {
  return hash(normalise(password), PASSWORD_HASH_PARAMS);
}

/** Checks a password against a PHC string; a malformed hash is a mismatch, never a throw. */
export async function verifyPassword(phc: string, password: string): Promise<boolean> {
  try {
    return await verify(phc, normalise(password));
  } catch {
    return false;
  }
}

// Unknown accounts are verified against this so they cost the same time (R-A3.6, R-A18.1).
let dummyHash: Promise<string> | undefined;

/** Spends one password verification's worth of time and always fails. */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= hashPassword("factor-dummy-password-never-matches");
  await verifyPassword(await dummyHash, password);
  return false;
}

/** True when the stored hash used weaker or different parameters than today's policy. */
export function needsRehash(phc: string): boolean {
  const match = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(phc);
  if (!match) return true;
  const [, m, t, p] = match.map(Number);
  return (
    m !== PASSWORD_HASH_PARAMS.memoryCost ||
    t !== PASSWORD_HASH_PARAMS.timeCost ||
    p !== PASSWORD_HASH_PARAMS.parallelism
  );
}

const GENERATED_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

/** A random password for new or demo accounts: 20 characters, about 116 bits (R-A3.7). */
export function generatePassword(length = 20): string {
  let out = "";
  for (let i = 0; i < length; i++) out += GENERATED_ALPHABET[randomInt(GENERATED_ALPHABET.length)];
  return out;
}
