import { seal, unseal } from "@/lib/security/sealing";

/** What a sensitive body becomes once a provider outside Factor has delivered it. */
export const DELIVERED_BODY = "[delivered]";

type Stored = { channel: string; recipient: string; body: string; sensitive: boolean };

// The associated data binds a sealed body to its channel and recipient, so a sealed code copied
// onto another row does not open.
function sealingContext(message: { channel: string; recipient: string }): string {
  return `outbox:${message.channel}:${message.recipient}`;
}

/** The body as stored: sealed when sensitive (a verification code never rests in the clear). */
export function bodyToStore(message: Stored): string {
  return message.sensitive ? seal(message.body, sealingContext(message)) : message.body;
}

/** The plain body of a stored message; null when a sensitive one was already erased. */
export function openBody(message: Stored): string | null {
  if (!message.sensitive) return message.body;
  if (message.body === DELIVERED_BODY) return null;
  return unseal(message.body, sealingContext(message));
}
