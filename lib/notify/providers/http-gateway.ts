import { createHmac, timingSafeEqual } from "node:crypto";
import { PermanentDeliveryError, type MessageProvider } from "./provider";

// The only file that knows the SMS and voice gateway's API: Twilio's Messages and Calls
// resources (2010-04-01), TwiML, and its webhook signature. Gateways that copy Twilio's shape
// (several do) work through the same settings.

export type GatewaySettings = {
  /** The API's base address, e.g. https://api.twilio.com. */
  url: string;
  accountSid: string;
  authToken: string;
  /** The number (or sender id) messages and calls come from. */
  from: string;
  /** Factor's own public address, for the call's keypad callback. */
  publicUrl: string;
  /** How long a call may ring before the gateway gives up. */
  ringSeconds: number;
};

const REQUEST_TIMEOUT_MS = 15_000;
/** How long the call waits for a key after the message has been read out. */
const GATHER_TIMEOUT_SECONDS = 10;

/** SMS and voice calls through the HTTP gateway. */
export function gatewayProvider(settings: GatewaySettings): MessageProvider {
  const base = `${settings.url.replace(/\/+$/, "")}/2010-04-01/Accounts/${encodeURIComponent(settings.accountSid)}`;
  const authorization = `Basic ${Buffer.from(`${settings.accountSid}:${settings.authToken}`).toString("base64")}`;

  async function create(resource: "Messages" | "Calls", fields: Record<string, string>) {
    let response: Response;
    try {
      response = await fetch(`${base}/${resource}.json`, {
        method: "POST",
        headers: {
          Authorization: authorization,
          "Content-Type": "application/x-www-form-urlencoded",
          Accept: "application/json",
        },
        body: new URLSearchParams(fields).toString(),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        redirect: "error",
      });
    } catch (error) {
      const reason = (error as Error).name === "TimeoutError" ? "timed out" : "unreachable";
      throw new Error(`Gateway ${resource}: ${reason}`);
    }
    const answer = (await response.json().catch(() => null)) as {
      sid?: unknown;
      code?: unknown;
      message?: unknown;
    } | null;
    if (response.ok && typeof answer?.sid === "string") return { providerMessageId: answer.sid };
    // The gateway's own error code and words (Twilio's say what is wrong with the number); the
    // request, which holds the message, is never repeated here.
    const code = typeof answer?.code === "number" ? ` error ${answer.code}` : "";
    const words =
      typeof answer?.message === "string"
        ? `: ${answer.message.replace(/\s+/g, " ").slice(0, 200)}`
        : "";
    const text = `Gateway ${resource}: HTTP ${response.status}${code}${words}`;
    // 4xx means the request itself is wrong (bad number, unverified sender): retrying cannot
    // help — except 429, which asks us to slow down. A 2xx without a sid is retried too.
    const permanent = response.status >= 400 && response.status < 500 && response.status !== 429;
    throw permanent ? new PermanentDeliveryError(text) : new Error(text);
  }

  return {
    name: "gateway",
    keepsMessages: false,
    async send(message) {
      if (message.channel === "sms") {
        return create("Messages", {
          To: message.recipient,
          From: settings.from,
          Body: message.body,
        });
      }
      if (message.channel === "voice") {
        if (!message.reference) throw new PermanentDeliveryError("A call needs its challenge");
        // An office extension comes as "+44…;ext=1234" (RFC 3966): dial the number, then the
        // extension's digits once the call connects (a "w" waits half a second).
        const [to, extension] = message.recipient.split(";ext=");
        return create("Calls", {
          To: to!,
          From: settings.from,
          Twiml: callTwiml(message.body, gatherActionUrl(settings.publicUrl, message.reference)),
          Timeout: String(settings.ringSeconds),
          ...(extension ? { SendDigits: `wwww${extension}` } : {}),
        });
      }
      throw new PermanentDeliveryError("The gateway cannot deliver email");
    },
  };
}

/** Where the gateway posts the key pressed during the call for one phone challenge. */
export function gatherActionUrl(publicUrl: string, challengeId: string): string {
  return `${publicUrl.replace(/\/+$/, "")}/api/phone/calls/${encodeURIComponent(challengeId)}/gather`;
}

function xml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/**
 * What the call does: read the message (twice) while listening for one key. `finishOnKey=""`
 * makes "#" a key like any other, so the callback receives it as the digit pressed.
 */
export function callTwiml(say: string, action: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?><Response>` +
    `<Gather input="dtmf" numDigits="1" finishOnKey="" timeout="${GATHER_TIMEOUT_SECONDS}" method="POST" action="${xml(action)}">` +
    `<Say loop="2">${xml(say)}</Say>` +
    `</Gather><Say>No key was pressed. Goodbye.</Say><Hangup/></Response>`
  );
}

/** What the call says after the key, as TwiML. */
export function answerTwiml(result: "approved" | "declined" | "gone"): string {
  const words = {
    approved: "Thank you. You can return to your browser.",
    declined: "The sign-in was not approved. Goodbye.",
    gone: "This request has ended. Goodbye.",
  }[result];
  return `<?xml version="1.0" encoding="UTF-8"?><Response><Say>${words}</Say><Hangup/></Response>`;
}

export type KeypadCallback = {
  /** The key pressed, e.g. "#"; null when none was. */
  pressed: string | null;
  /** The gateway's answer: what the call says next, then hang up. */
  respond: (result: "approved" | "declined" | "gone") => Response;
};

/**
 * Reads a keypad callback (the `<Gather>` action) after checking its `X-Twilio-Signature`;
 * null when the signature is missing or wrong, or the callback names another account. The URL
 * signed is the one we gave the gateway: our public address and the path and query requested.
 */
export function readKeypadCallback(
  settings: Pick<GatewaySettings, "accountSid" | "authToken" | "publicUrl">,
  request: Request,
  body: string,
): KeypadCallback | null {
  const requested = new URL(request.url);
  const url = `${settings.publicUrl.replace(/\/+$/, "")}${requested.pathname}${requested.search}`;
  const params = new URLSearchParams(body);
  if (
    !verifyGatewaySignature(
      settings.authToken,
      url,
      params,
      request.headers.get("x-twilio-signature"),
    )
  ) {
    return null;
  }
  const account = params.get("AccountSid");
  if (account !== null && account !== settings.accountSid) return null;
  return {
    pressed: params.get("Digits") || null,
    respond: (result) =>
      new Response(answerTwiml(result), {
        status: 200,
        headers: { "Content-Type": "text/xml; charset=utf-8", "Cache-Control": "no-store" },
      }),
  };
}

function signatureOf(authToken: string, url: string, params: URLSearchParams): Buffer {
  let data = url;
  for (const key of [...new Set(params.keys())].sort()) {
    for (const value of [...new Set(params.getAll(key))].sort()) data += key + value;
  }
  return createHmac("sha1", authToken).update(data, "utf8").digest();
}

/** The URL with its default port written out, and without it: the gateway may sign either. */
function urlVariants(url: string): string[] {
  const parsed = new URL(url);
  const defaultPort = parsed.protocol === "https:" ? "443" : "80";
  if (parsed.port) return [url];
  const withPort = `${parsed.protocol}//${parsed.hostname}:${defaultPort}${url.slice(parsed.origin.length)}`;
  return [url, withPort];
}

/**
 * Checks a callback's signature: base64 HMAC-SHA1, keyed with the auth token, of the full URL
 * followed by each POST parameter's name and value in name order (Twilio's "Webhooks security").
 */
export function verifyGatewaySignature(
  authToken: string,
  url: string,
  params: URLSearchParams,
  signature: string | null,
): boolean {
  if (!signature) return false;
  const given = Buffer.from(signature);
  return urlVariants(url).some((candidate) => {
    const expected = Buffer.from(signatureOf(authToken, candidate, params).toString("base64"));
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
