import { and, desc, eq, inArray, sql } from "drizzle-orm";
import type { Executor } from "@/lib/db/client";
import { outbox, phoneChallenges } from "@/lib/db/schema";
import { answerCall, type CallAnswer } from "@/lib/mfa/phone-calls";
import { openBody } from "./message-body";
import { outboxChannels, providerNameFor, type Channel } from "./providers";
import { isUuid } from "@/lib/security/ids";

// What /dev/outbox shows and does: the messages of the channels that use the outbox provider,
// and the keypad of a ringing call. Never messages that a real provider delivers.

export type OutboxEntry = {
  id: number;
  channel: Channel;
  recipient: string;
  subject: string | null;
  body: string;
  createdAt: Date;
  /** For a call: the phone challenge it answers, while it is still ringing and unexpired. */
  ringingChallengeId: string | null;
  /** For a call: what became of it. */
  callStatus: CallStatus | null;
};

export type CallStatus = "ringing" | "approved" | "declined" | "ended";

export const OUTBOX_PAGE_SIZE = 100;

/** The newest messages kept by the outbox provider, bodies unsealed for display. */
export async function listOutboxMessages(
  db: Executor,
  limit = OUTBOX_PAGE_SIZE,
): Promise<OutboxEntry[]> {
  const channels = outboxChannels();
  if (channels.length === 0) return [];
  const call = and(
    eq(outbox.channel, "voice"),
    sql`${phoneChallenges.id}::text = ${outbox.reference}`,
    eq(phoneChallenges.channel, "voice"),
  );
  const rows = await db
    .select({
      id: outbox.id,
      channel: outbox.channel,
      recipient: outbox.recipient,
      subject: outbox.subject,
      body: outbox.body,
      sensitive: outbox.sensitive,
      createdAt: outbox.createdAt,
      challengeId: phoneChallenges.id,
      challengeStatus: phoneChallenges.status,
      ringing: sql<boolean>`coalesce(${phoneChallenges.status} = 'ringing' and ${phoneChallenges.expiresAt} > now(), false)`,
    })
    .from(outbox)
    .leftJoin(phoneChallenges, call)
    .where(inArray(outbox.channel, channels))
    .orderBy(desc(outbox.createdAt), desc(outbox.id))
    .limit(limit);
  return rows.map(({ sensitive, body, challengeId, challengeStatus, ringing, ...row }) => ({
    ...row,
    body: readableBody({ channel: row.channel, recipient: row.recipient, body, sensitive }),
    ringingChallengeId: ringing ? challengeId : null,
    callStatus: challengeStatus ? callStatus(challengeStatus, ringing) : null,
  }));
}

function callStatus(status: string, ringing: boolean): CallStatus {
  if (ringing) return "ringing";
  // "used" is an approved call whose sign-in went on.
  if (status === "approved" || status === "used") return "approved";
  return status === "declined" ? "declined" : "ended";
}

function readableBody(row: Parameters<typeof openBody>[0]): string {
  try {
    return openBody(row) ?? "(delivered and erased)";
  } catch {
    return "(sealed with a key that is no longer configured)";
  }
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
  const [call] = await db
    .select({ id: outbox.id })
    .from(outbox)
    .where(and(eq(outbox.channel, "voice"), eq(outbox.reference, challengeId)))
    .limit(1);
  if (!call) return "gone";
  return answerCall(db, challengeId, pressed);
}
