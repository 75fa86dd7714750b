import { and, desc, eq, inArray } from "drizzle-orm";
import type { Executor } from "@/lib/db/client";
import { outbox } from "@/lib/db/schema";
import { openBody } from "./message-body";
import { outboxChannels, type Channel } from "./providers";

// What /dev/outbox shows: the messages of the channels that use the outbox provider. Never
// messages that a real provider delivers. What became of a call is the phone method's business
// (lib/mfa/phone-calls.ts): this module only keeps and shows what was "sent".

export type OutboxMessage = {
  id: number;
  channel: Channel;
  recipient: string;
  subject: string | null;
  body: string;
  createdAt: Date;
  /** What the message belongs to: for a call, the phone challenge it answers. */
  reference: string | null;
};

export const OUTBOX_PAGE_SIZE = 100;

/** The newest messages kept by the outbox provider, bodies unsealed for display. */
export async function listOutboxMessages(
  db: Executor,
  limit = OUTBOX_PAGE_SIZE,
): Promise<OutboxMessage[]> {
  const channels = outboxChannels();
  if (channels.length === 0) return [];
  const rows = await db
    .select({
      id: outbox.id,
      channel: outbox.channel,
      recipient: outbox.recipient,
      subject: outbox.subject,
      body: outbox.body,
      sensitive: outbox.sensitive,
      createdAt: outbox.createdAt,
      reference: outbox.reference,
    })
    .from(outbox)
    .where(inArray(outbox.channel, channels))
    .orderBy(desc(outbox.createdAt), desc(outbox.id))
    .limit(limit);
  return rows.map(({ sensitive, body, ...row }) => ({
    ...row,
    body: readableBody({ channel: row.channel, recipient: row.recipient, body, sensitive }),
  }));
}

/** Whether the outbox holds a message on this channel for this reference (a call it "placed"). */
export async function outboxHolds(
  db: Executor,
  channel: Channel,
  reference: string,
): Promise<boolean> {
  const [row] = await db
    .select({ id: outbox.id })
    .from(outbox)
    .where(and(eq(outbox.channel, channel), eq(outbox.reference, reference)))
    .limit(1);
  return row !== undefined;
}

function readableBody(row: Parameters<typeof openBody>[0]): string {
  try {
    return openBody(row) ?? "(delivered and erased)";
  } catch {
    return "(sealed with a key that is no longer configured)";
  }
}
