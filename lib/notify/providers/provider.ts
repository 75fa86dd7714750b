/** What a message goes by. */
export type Channel = "email" | "sms" | "voice";

/** A message ready to hand to a provider: the body is already unsealed. */
export type DeliverableMessage = {
  id: number;
  channel: Channel;
  recipient: string;
  subject: string | null;
  body: string;
  htmlBody: string | null;
  /** What the message belongs to, e.g. the phone challenge a call answers. */
  reference: string | null;
};

/** A delivery mechanism for one or more channels. */
export interface MessageProvider {
  /** Recorded on each message it delivers ("outbox", "smtp", "gateway"). */
  readonly name: string;
  /**
   * True when the provider keeps messages for people to read in Factor itself (/dev/outbox):
   * a sensitive body then stays sealed instead of being erased after delivery.
   */
  readonly keepsMessages: boolean;
  /** Delivers one message; resolves with the provider's id for it, or throws. */
  send(message: DeliverableMessage): Promise<{ providerMessageId: string }>;
}

/**
 * A failure that retrying cannot fix (an invalid number, a refused address): the message is
 * marked failed at once. Any other error is retried with backoff. The message must never carry
 * the message body or a credential: it is stored and shown to operators.
 */
export class PermanentDeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PermanentDeliveryError";
  }
}
