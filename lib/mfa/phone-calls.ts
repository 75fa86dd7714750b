import { and, eq, gt, sql } from "drizzle-orm";
import type { Executor } from "@/lib/db/client";
import { phoneChallenges } from "@/lib/db/schema";
import { isUuid } from "@/lib/security/ids";

export type CallAnswer = "approved" | "declined" | "gone";

/**
 * A ringing call was answered: "#" approves, any other key (or none) declines. Only a call still
 * ringing and unexpired changes; anything else — a second answer, a late one — is "gone".
 */
export async function answerCall(
  db: Executor,
  challengeId: string,
  pressed: string | null,
): Promise<CallAnswer> {
  if (!isUuid(challengeId)) return "gone";
  const status = pressed === "#" ? "approved" : "declined";
  const [row] = await db
    .update(phoneChallenges)
    .set({ status, answeredAt: sql`now()` })
    .where(
      and(
        eq(phoneChallenges.id, challengeId),
        eq(phoneChallenges.channel, "voice"),
        eq(phoneChallenges.status, "ringing"),
        gt(phoneChallenges.expiresAt, sql`now()`),
      ),
    )
    .returning({ id: phoneChallenges.id });
  return row ? status : "gone";
}
