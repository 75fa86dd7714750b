import { and, eq, gt, inArray, sql } from "drizzle-orm";
import type { Executor } from "@/lib/db/client";
import { phoneChallenges } from "@/lib/db/schema";
import {
  listOutboxMessages,
  OUTBOX_PAGE_SIZE,
  outboxHolds,
  type OutboxMessage,
} from "@/lib/notify/dev-outbox";
import { providerNameFor } from "@/lib/notify/providers";
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

// ── calls placed through the developer outbox (/dev/outbox stands in for the phone) ──────────

export type CallStatus = "ringing" | "approved" | "declined" | "ended";

export type OutboxEntry = OutboxMessage & {
  /** For a call: the phone challenge it answers, while it is still ringing and unexpired. */
  ringingChallengeId: string | null;
  /** For a call: what became of it. */
  callStatus: CallStatus | null;
};

/** The outbox's newest messages, each call with what became of it and its keypad while ringing. */
export async function listOutboxEntries(
  db: Executor,
  limit = OUTBOX_PAGE_SIZE,
): Promise<OutboxEntry[]> {
  const messages = await listOutboxMessages(db, limit);
  const callIds = messages
    .filter((message) => message.channel === "voice" && isUuid(message.reference ?? ""))
    .map((message) => message.reference!);
  const calls =
    callIds.length === 0
      ? []
      : await db
          .select({
            id: phoneChallenges.id,
            status: phoneChallenges.status,
            ringing: sql<boolean>`coalesce(${phoneChallenges.status} = 'ringing' and ${phoneChallenges.expiresAt} > now(), false)`,
          })
          .from(phoneChallenges)
          .where(and(inArray(phoneChallenges.id, callIds), eq(phoneChallenges.channel, "voice")));
  const byId = new Map(calls.map((call) => [call.id, call]));
  return messages.map((message) => {
    const call = message.channel === "voice" ? byId.get(message.reference ?? "") : undefined;
    return {
      ...message,
      ringingChallengeId: call?.ringing ? call.id : null,
      callStatus: call ? callStatus(call.status, call.ringing) : null,
    };
  });
}

function callStatus(status: string, ringing: boolean): CallStatus {
  if (ringing) return "ringing";
  // "used" is an approved call whose sign-in went on.
  if (status === "approved" || status === "used") return "approved";
  return status === "declined" ? "declined" : "ended";
}

/**
 * Answers a call from /dev/outbox: only when calls use the outbox provider and the challenge is
 * one the outbox is ringing for. "#" approves; anything else (or null) declines.
 */
export async function answerOutboxCall(
  db: Executor,
  challengeId: string,
  pressed: string | null,
): Promise<CallAnswer> {
  if (providerNameFor("voice") !== "outbox") return "gone";
  if (!isUuid(challengeId)) return "gone";
  if (!(await outboxHolds(db, "voice", challengeId))) return "gone";
  return answerCall(db, challengeId, pressed);
}
