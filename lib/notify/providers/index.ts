import { ConfigError, getEnv, type Env } from "@/lib/env";
import { gatewayProvider } from "./http-gateway";
import { outboxProvider } from "./outbox";
import type { Channel, MessageProvider } from "./provider";
import { smtpProvider } from "./smtp";

export type { Channel, DeliverableMessage, MessageProvider } from "./provider";
export { PermanentDeliveryError } from "./provider";

export const CHANNELS: readonly Channel[] = ["email", "sms", "voice"];

export type ProviderName = "outbox" | "smtp" | "gateway";

type MessageSettings = Pick<
  Env,
  | "SMTP_URL"
  | "SMTP_FROM"
  | "SMS_GATEWAY_URL"
  | "SMS_GATEWAY_ACCOUNT_SID"
  | "SMS_GATEWAY_AUTH_TOKEN"
  | "SMS_GATEWAY_FROM"
  | "PUBLIC_URL"
  | "ORG_NAME"
  | "CALL_ANSWER_SECONDS"
>;

/** Which provider a channel uses: chosen by configuration alone. */
export function providerNameFor(channel: Channel, env: MessageSettings = getEnv()): ProviderName {
  if (channel === "email") return env.SMTP_URL ? "smtp" : "outbox";
  return env.SMS_GATEWAY_URL ? "gateway" : "outbox";
}

/** The channels whose messages stay in the outbox (shown at /dev/outbox). */
export function outboxChannels(env: MessageSettings = getEnv()): Channel[] {
  return CHANNELS.filter((channel) => providerNameFor(channel, env) === "outbox");
}

/**
 * True when any channel keeps its messages in the outbox; /dev/outbox exists only then, and
 * shows only those channels' messages.
 */
export function isOutboxProviderActive(env: MessageSettings = getEnv()): boolean {
  return outboxChannels(env).length > 0;
}

/**
 * Whether texts and calls reach real phones, or are at least no weaker than everything else.
 * Kept in the outbox, codes are readable by anyone at /dev/outbox: acceptable only on a trial
 * server that delivers nothing at all. Once email goes out for real but texts do not, phone
 * methods are not offered or used (docs/decisions/0008).
 */
export function phonesDeliverable(env: MessageSettings = getEnv()): boolean {
  return providerNameFor("sms", env) !== "outbox" || providerNameFor("email", env) === "outbox";
}

/** Fails start-up with readable lines when a provider is chosen but not fully configured. */
export function checkMessageSettings(env: MessageSettings = getEnv()): void {
  if (!env.SMS_GATEWAY_URL) return;
  const missing = (
    ["SMS_GATEWAY_ACCOUNT_SID", "SMS_GATEWAY_AUTH_TOKEN", "SMS_GATEWAY_FROM"] as const
  ).filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new ConfigError(
      `Factor cannot start: SMS_GATEWAY_URL is set, so ${missing.join(", ")} must be set too.\nSee .env.example for every setting.`,
    );
  }
}

/** The gateway's settings while calls go through it (for its callbacks); otherwise null. */
export function gatewayCallbackSettings(env: MessageSettings = getEnv()) {
  if (providerNameFor("voice", env) !== "gateway") return null;
  checkMessageSettings(env);
  return {
    accountSid: env.SMS_GATEWAY_ACCOUNT_SID!,
    authToken: env.SMS_GATEWAY_AUTH_TOKEN!,
    publicUrl: env.PUBLIC_URL,
  };
}

function build(name: ProviderName, env: MessageSettings): MessageProvider {
  if (name === "smtp") {
    return smtpProvider({
      url: env.SMTP_URL!,
      from: env.SMTP_FROM ?? `no-reply@${new URL(env.PUBLIC_URL).hostname}`,
      fromName: env.ORG_NAME,
    });
  }
  if (name === "gateway") {
    checkMessageSettings(env);
    return gatewayProvider({
      url: env.SMS_GATEWAY_URL!,
      accountSid: env.SMS_GATEWAY_ACCOUNT_SID!,
      authToken: env.SMS_GATEWAY_AUTH_TOKEN!,
      from: env.SMS_GATEWAY_FROM!,
      publicUrl: env.PUBLIC_URL,
      ringSeconds: env.CALL_ANSWER_SECONDS,
    });
  }
  return outboxProvider;
}

// One instance per provider and settings, so the SMTP transport is reused.
const built = new Map<string, MessageProvider>();

/** The provider that delivers a channel's messages under the given settings. */
export function providerFor(channel: Channel, env: MessageSettings = getEnv()): MessageProvider {
  const name = providerNameFor(channel, env);
  const key = name === "outbox" ? name : `${name}|${JSON.stringify(env)}`;
  let provider = built.get(key);
  if (!provider) {
    provider = build(name, env);
    built.set(key, provider);
  }
  return provider;
}
