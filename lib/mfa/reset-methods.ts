import { eq, sql } from "drizzle-orm";
import type { Executor } from "@/lib/db/client";
import { hardwareTokens, mfaMethods, phoneChallenges, recoveryCodes, users } from "@/lib/db/schema";

/**
 * Removes every sign-in method of a person (phones, authenticator apps, hardware tokens,
 * passkeys, paired phones), their recovery codes and pending challenges, unassigns their hardware
 * tokens and requires MFA, so the next sign-in meets "Keep your account secure" (R-A10.6). The
 * caller ends sessions and remembered browsers, audits and notifies, in the same transaction.
 */
export async function removeEveryMethod(
  tx: Executor,
  userId: string,
): Promise<{ methodsRemoved: number; recoveryCodesRemoved: number; tokensUnassigned: number }> {
  const tokens = await tx
    .update(hardwareTokens)
    .set({ userId: null, methodId: null, assignedAt: null, activatedAt: null })
    .where(eq(hardwareTokens.userId, userId))
    .returning({ id: hardwareTokens.id });
  await tx.delete(phoneChallenges).where(eq(phoneChallenges.userId, userId));
  const methods = await tx
    .delete(mfaMethods)
    .where(eq(mfaMethods.userId, userId))
    .returning({ id: mfaMethods.id });
  const codes = await tx
    .delete(recoveryCodes)
    .where(eq(recoveryCodes.userId, userId))
    .returning({ id: recoveryCodes.id });
  await tx
    .update(users)
    .set({ mfaRequired: true, updatedAt: sql`now()` })
    .where(eq(users.id, userId));
  return {
    methodsRemoved: methods.length,
    recoveryCodesRemoved: codes.length,
    tokensUnassigned: tokens.length,
  };
}
