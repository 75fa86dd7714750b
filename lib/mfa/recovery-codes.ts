import { randomInt } from "node:crypto";
import { hash, verify } from "@node-rs/argon2";
import { and, eq, isNull, sql } from "drizzle-orm";
import { writeAudit } from "@/lib/audit/log";
import type { Db, Executor } from "@/lib/db/client";
import { queueSecurityNotice } from "@/lib/notify/security-notice";
import { recoveryCodes } from "@/lib/db/schema";
import type { RequestContext } from "@/lib/types/request";

// Recovery codes (R-A8): 10 codes of 16 Crockford base32 characters (80 bits), shown once,
// stored as salted argon2id hashes at a low cost (NIST-B4 §3.1.2.2 allows it for look-up secrets).

export const RECOVERY_CODE_COUNT = 10;
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CODE_LENGTH = 16;
const LOW_COST = { algorithm: 2, memoryCost: 4096, timeCost: 2, parallelism: 1 } as const;

/** Shown as XXXX-XXXX-XXXX-XXXX. */
export function formatRecoveryCode(code: string): string {
  return code.match(/.{4}/g)!.join("-");
}

/** Case-insensitive, spaces and hyphens ignored, Crockford's I/L→1 and O→0 (R-A8.1). */
export function normaliseRecoveryCode(input: string): string | null {
  const cleaned = input
    .toUpperCase()
    .replace(/[\s-]/g, "")
    .replace(/[IL]/g, "1")
    .replace(/O/g, "0");
  return cleaned.length === CODE_LENGTH && [...cleaned].every((c) => CROCKFORD.includes(c))
    ? cleaned
    : null;
}

function newCode(): string {
  let code = "";
  for (let i = 0; i < CODE_LENGTH; i++) code += CROCKFORD[randomInt(CROCKFORD.length)];
  return code;
}

/** Replaces all of a user's codes in the caller's transaction; returns the new ones, formatted. */
export async function regenerateRecoveryCodes(db: Executor, userId: string): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newCode);
  const hashes = await Promise.all(codes.map((code) => hash(code, LOW_COST)));
  await db.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
  await db.insert(recoveryCodes).values(hashes.map((codeHash) => ({ userId, codeHash })));
  return codes.map(formatRecoveryCode);
}

/**
 * Uses one code: the input is hashed and compared with each unused code (a stored hash typed in
 * never matches), and the matching code is spent with a conditional UPDATE so it works once
 * even under parallel requests (R-A8.2, R-A8.3).
 */
export async function consumeRecoveryCode(
  db: Executor,
  userId: string,
  input: string,
): Promise<boolean> {
  const code = normaliseRecoveryCode(input);
  if (!code) return false;
  const unused = await db
    .select({ id: recoveryCodes.id, codeHash: recoveryCodes.codeHash })
    .from(recoveryCodes)
    .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)));
  for (const candidate of unused) {
    if (!(await verify(candidate.codeHash, code).catch(() => false))) continue;
    const spent = await db
      .update(recoveryCodes)
      .set({ usedAt: sql`now()` })
      .where(
        and(
          eq(recoveryCodes.id, candidate.id),
          eq(recoveryCodes.userId, userId),
          isNull(recoveryCodes.usedAt),
        ),
      )
      .returning({ id: recoveryCodes.id });
    return spent.length === 1;
  }
  return false;
}

/**
 * Issues a new set of recovery codes for a person: replaces the old set, audits it and tells the
 * person by email, all in one transaction (R-A8.4). Returns the codes to show once.
 */
export async function issueRecoveryCodes(
  db: Db,
  user: { id: string; email: string; displayName: string },
  context: RequestContext,
): Promise<string[]> {
  return db.transaction(async (tx) => {
    const codes = await regenerateRecoveryCodes(tx, user.id);
    await writeAudit(tx, {
      action: "mfa.recovery_codes.regenerated",
      outcome: "success",
      actorId: user.id,
      subjectId: user.id,
      ...context,
    });
    await queueSecurityNotice(tx, user, "recovery_codes.regenerated", context);
    return codes;
  });
}
