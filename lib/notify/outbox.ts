import { and, lt, ne, sql } from "drizzle-orm";
import type { Executor } from "@/lib/db/client";
import { outbox } from "@/lib/db/schema";
import { kickDispatcher } from "./dispatcher";
import { bodyToStore } from "./message-body";

export type OutgoingMessage = {
  userId: string | null;
  channel: "email" | "sms" | "voice";
  recipient: string;
  subject?: string;
  /** Plain text: the email's text part, the SMS, or what a call says. */
  body: string;
  /** The email's HTML part, every interpolated value already escaped. */
  htmlBody?: string;
  /** A verification code: sealed at rest, erased once a real provider has delivered it. */
  sensitive?: boolean;
  /** What the message belongs to: for a call, the phone challenge it answers. */
  reference?: string;
};

/**
 * Queues a message in the durable outbox. Pass the transaction that makes the change the message
 * tells about: both commit, or neither does. The dispatcher delivers it shortly after.
 */
export async function queueMessage(db: Executor, message: OutgoingMessage): Promise<void> {
  const sensitive = message.sensitive ?? false;
  if (sensitive && message.htmlBody) {
    throw new Error("A sensitive message is plain text only");
  }
  await db.insert(outbox).values({
    userId: message.userId,
    channel: message.channel,
    recipient: message.recipient,
    subject: message.subject ?? null,
    body: bodyToStore({ ...message, sensitive }),
    htmlBody: message.htmlBody ?? null,
    sensitive,
    reference: message.reference ?? null,
  });
  // Usually the caller's transaction commits well within the debounce; if not, the loop's next
  // pass finds the message.
  kickDispatcher();
}

/**
 * Days a delivered or failed message is kept (for support and the send limits, which look back a
 * day) before it is deleted: messages are personal data.
 */
export const OUTBOX_RETENTION_DAYS = 30;

/** Deletes delivered and failed messages older than the retention period; returns how many. */
export async function purgeOldMessages(db: Executor, now?: Date): Promise<number> {
  const cutoff = now
    ? new Date(now.getTime() - OUTBOX_RETENTION_DAYS * 86_400_000)
    : sql`now() - make_interval(days => ${OUTBOX_RETENTION_DAYS})`;
  const deleted = await db
    .delete(outbox)
    .where(and(ne(outbox.status, "pending"), lt(outbox.createdAt, cutoff)))
    .returning({ id: outbox.id });
  return deleted.length;
}
