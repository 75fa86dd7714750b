import nodemailer from "nodemailer";
import type SMTPTransport from "nodemailer/lib/smtp-transport";
import { PermanentDeliveryError, type MessageProvider } from "./provider";

// The only file that knows nodemailer.

export type SmtpSettings = {
  /** smtp:// or smtps://, with credentials in the URL when the server wants them. */
  url: string;
  /** The From address; a bare address gets the organisation's name as its display name. */
  from: string;
  fromName: string;
};

const CONNECTION_TIMEOUT_MS = 10_000;
const SOCKET_TIMEOUT_MS = 30_000;

/** Email over SMTP. */
export function smtpProvider(settings: SmtpSettings): MessageProvider {
  const transport = nodemailer.createTransport({
    url: settings.url,
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    greetingTimeout: CONNECTION_TIMEOUT_MS,
    socketTimeout: SOCKET_TIMEOUT_MS,
    // Never let nodemailer log message contents or credentials.
    logger: false,
    debug: false,
  } as SMTPTransport.Options);
  const from = settings.from.includes("<")
    ? settings.from
    : { name: settings.fromName, address: settings.from };
  return {
    name: "smtp",
    keepsMessages: false,
    async send(message) {
      if (message.channel !== "email") {
        throw new PermanentDeliveryError(`SMTP cannot deliver ${message.channel} messages`);
      }
      try {
        const info = await transport.sendMail({
          from,
          to: message.recipient,
          subject: message.subject ?? "",
          text: message.body,
          ...(message.htmlBody ? { html: message.htmlBody } : {}),
          // Ours, not the client's: the outbox id keeps a retried message recognisable.
          headers: { "X-Factor-Message": String(message.id) },
        });
        return { providerMessageId: info.messageId };
      } catch (error) {
        throw describeSmtpError(error);
      }
    },
  };
}

/**
 * A stored description of an SMTP failure: the server's reply code and the stage, never the
 * connection URL (it may carry the password). 5xx replies are permanent; the rest are retried.
 */
function describeSmtpError(error: unknown): Error {
  const e = error as { code?: string; responseCode?: number; command?: string };
  const parts = [
    "SMTP",
    e.command ? `${e.command}:` : null,
    e.code ?? "error",
    e.responseCode ? `(reply ${e.responseCode})` : null,
  ].filter(Boolean);
  const text = parts.join(" ");
  // A refused login is a setting to fix, so it is retried like a network failure.
  const permanent =
    e.code !== "EAUTH" &&
    ((e.responseCode !== undefined && e.responseCode >= 500) ||
      (e.code === "EENVELOPE" && e.responseCode === undefined));
  return permanent ? new PermanentDeliveryError(text) : new Error(text);
}
