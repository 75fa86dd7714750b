import type { Executor } from "@/lib/db/client";
import { outbox } from "@/lib/db/schema";

export type OutgoingMessage = {
  userId: string | null;
  channel: "email" | "sms" | "voice";
  recipient: string;
  subject?: string;
  body: string;
};

/**
 * Queues a message in the durable outbox. Pass the transaction that makes the change the message
 * tells about: both commit, or neither does.
 */
export async function queueMessage(db: Executor, message: OutgoingMessage): Promise<void> {
  await db.insert(outbox).values({ ...message, subject: message.subject ?? null });
}
