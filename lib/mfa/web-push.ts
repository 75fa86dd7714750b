import { createPrivateKey, sign, type KeyObject } from "node:crypto";
import { getEnv } from "@/lib/env";
import { clock } from "@/lib/clock";

// Web Push (RFC 8030) with VAPID (RFC 8292), without a payload: the message only wakes the
// companion app, which then fetches the request over its own signed channel. With no payload
// there is nothing to encrypt (RFC 8291), so no library is needed and nothing about the sign-in
// passes through the browser vendor's push service.

export type PushSubscription = { endpoint: string; keys?: Record<string, string> };

/**
 * Push services of the browsers people use. The endpoint comes from the device, so the server
 * only ever posts to these hosts over HTTPS on the standard port (no request forgery towards
 * internal addresses, nor towards Google's other APIs: Chrome's push service is FCM alone).
 */
const PUSH_SERVICE_HOSTS = [
  /^fcm\.googleapis\.com$/,
  /(^|\.)push\.services\.mozilla\.com$/,
  /(^|\.)notify\.windows\.com$/,
  /(^|\.)push\.apple\.com$/,
];

/** Whether the operator configured VAPID keys. */
export function webPushConfigured(): boolean {
  const env = getEnv();
  return Boolean(env.VAPID_PUBLIC_KEY && env.VAPID_PRIVATE_KEY && env.VAPID_SUBJECT);
}

/** The key the app subscribes with, or null without Web Push. */
export function vapidPublicKey(): string | null {
  return webPushConfigured() ? getEnv().VAPID_PUBLIC_KEY! : null;
}

/** A subscription this server will post to, or null. */
export function acceptableSubscription(value: unknown): PushSubscription | null {
  if (!value || typeof value !== "object") return null;
  const endpoint = (value as { endpoint?: unknown }).endpoint;
  if (typeof endpoint !== "string" || endpoint.length > 1000) return null;
  try {
    const url = new URL(endpoint);
    if (
      url.protocol !== "https:" ||
      url.port !== "" ||
      url.username !== "" ||
      url.password !== "" ||
      !PUSH_SERVICE_HOSTS.some((host) => host.test(url.hostname))
    )
      return null;
  } catch {
    return null;
  }
  return { endpoint };
}

let signingKey: KeyObject | null = null;

function vapidKey(): KeyObject {
  if (signingKey) return signingKey;
  const env = getEnv();
  const point = Buffer.from(env.VAPID_PUBLIC_KEY!, "base64url");
  signingKey = createPrivateKey({
    key: {
      kty: "EC",
      crv: "P-256",
      x: point.subarray(1, 33).toString("base64url"),
      y: point.subarray(33, 65).toString("base64url"),
      d: env.VAPID_PRIVATE_KEY!,
    },
    format: "jwk",
  });
  return signingKey;
}

/** The VAPID JWT (ES256) for one push service. */
function vapidToken(audience: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const unsigned = `${part({ typ: "JWT", alg: "ES256" })}.${part({
    aud: audience,
    exp: Math.floor(clock.ms() / 1000) + 12 * 3600,
    sub: getEnv().VAPID_SUBJECT,
  })}`;
  const signature = sign("sha256", Buffer.from(unsigned), {
    key: vapidKey(),
    dsaEncoding: "ieee-p1363",
  });
  return `${unsigned}.${signature.toString("base64url")}`;
}

/** Wakes one device. "gone" when the push service says the subscription has ended. */
export async function sendWakeUp(
  subscription: PushSubscription,
): Promise<"sent" | "gone" | "failed"> {
  const accepted = acceptableSubscription(subscription);
  if (!accepted || !webPushConfigured()) return "failed";
  const url = new URL(accepted.endpoint);
  const response = await fetch(url, {
    method: "POST",
    headers: {
      TTL: String(getEnv().PUSH_REQUEST_TTL_SECONDS),
      Urgency: "high",
      Authorization: `vapid t=${vapidToken(url.origin)}, k=${getEnv().VAPID_PUBLIC_KEY}`,
      "Content-Length": "0",
    },
    signal: AbortSignal.timeout(5000),
  });
  if (response.status === 404 || response.status === 410) return "gone";
  return response.ok ? "sent" : "failed";
}
