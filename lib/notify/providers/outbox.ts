import type { MessageProvider } from "./provider";

/**
 * The default provider: delivers nothing anywhere. Messages stay in the outbox table, where
 * /dev/outbox shows them (sensitive ones unsealed only for display) and answers calls.
 */
export const outboxProvider: MessageProvider = {
  name: "outbox",
  keepsMessages: true,
  send: async (message) => ({ providerMessageId: `outbox-${message.id}` }),
};
