import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import radius from "radius";

// RADIUS packets (RFC 2865): the `radius` library parses and lays out attributes; what protects
// a packet is done here, over the bytes as they came and went. The library checks a request's
// Message-Authenticator by re-encoding it and comparing strings, and writes a reply's last; here
// it is checked over the received bytes in constant time, and written first in every reply —
// where the Blast-RADIUS forgery (CVE-2024-3596) cannot reach it (docs/decisions/0019).

const HEADER_BYTES = 20;
const AUTHENTICATOR_START = 4;
const AUTHENTICATOR_BYTES = 16;
const MAX_PACKET_BYTES = 4096;
const USER_PASSWORD = 2;
const STATE = 24;
const PROXY_STATE = 33;
const MESSAGE_AUTHENTICATOR = 80;
const MESSAGE_AUTHENTICATOR_BYTES = 16;

/** A request as received, before anything in it is trusted. */
export type RadiusRequest = {
  code: string;
  identifier: number;
  authenticator: Buffer;
  /** Text attributes by name (User-Name, NAS-Identifier, Calling-Station-Id…). */
  attributes: Record<string, unknown>;
  raw: [number, Buffer][];
  packet: Buffer;
};

/** Parses a datagram; null for anything that is not a well-formed RADIUS packet. */
export function parsePacket(packet: Buffer): RadiusRequest | null {
  if (packet.length < HEADER_BYTES || packet.length > MAX_PACKET_BYTES) return null;
  const length = packet.readUInt16BE(2);
  // RFC 2865 §3: bytes past Length are padding; a packet shorter than its Length is dropped.
  if (length < HEADER_BYTES || length > packet.length) return null;
  const bytes = packet.subarray(0, length);
  try {
    const decoded = radius.decode_without_secret({ packet: Buffer.from(bytes) });
    return {
      code: decoded.code,
      identifier: decoded.identifier,
      authenticator: Buffer.from(decoded.authenticator),
      attributes: decoded.attributes,
      raw: decoded.raw_attributes,
      packet: Buffer.from(bytes),
    };
  } catch {
    return null;
  }
}

/** A text attribute's value, when the request has exactly one of it. */
export function textAttribute(request: RadiusRequest, name: string): string | null {
  const value = request.attributes[name];
  return typeof value === "string" ? value : null;
}

/** The raw value of an attribute by number, when the request has exactly one of it. */
export function rawAttribute(request: RadiusRequest, type: number): Buffer | null {
  const found = request.raw.filter(([id]) => id === type);
  return found.length === 1 ? found[0]![1] : null;
}

/** The State the request carries back from an Access-Challenge, as text. */
export function stateOf(request: RadiusRequest): string | null {
  return rawAttribute(request, STATE)?.toString("latin1") ?? null;
}

function messageAuthenticatorOffsets(packet: Buffer): number[] {
  const offsets: number[] = [];
  let offset = HEADER_BYTES;
  while (offset + 2 <= packet.length) {
    const type = packet[offset]!;
    const length = packet[offset + 1]!;
    if (length < 2 || offset + length > packet.length) return [];
    if (type === MESSAGE_AUTHENTICATOR) offsets.push(offset);
    offset += length;
  }
  return offsets;
}

/**
 * "missing", "valid" or "invalid": a request's Message-Authenticator (RFC 3579 §3.2), the
 * HMAC-MD5 of the packet as received with its own value zeroed, keyed with the shared secret.
 * More than one, or one of the wrong size, is invalid.
 */
export function checkMessageAuthenticator(
  request: RadiusRequest,
  secret: string,
): "missing" | "valid" | "invalid" {
  const { packet } = request;
  const offsets = messageAuthenticatorOffsets(packet);
  if (offsets.length === 0) {
    return request.raw.some(([id]) => id === MESSAGE_AUTHENTICATOR) ? "invalid" : "missing";
  }
  const at = offsets[0]!;
  if (offsets.length > 1 || packet[at + 1] !== 2 + MESSAGE_AUTHENTICATOR_BYTES) return "invalid";
  const received = Buffer.from(packet.subarray(at + 2, at + 2 + MESSAGE_AUTHENTICATOR_BYTES));
  const zeroed = Buffer.from(packet);
  zeroed.fill(0, at + 2, at + 2 + MESSAGE_AUTHENTICATOR_BYTES);
  const expected = createHmac("md5", secret).update(zeroed).digest();
  return timingSafeEqual(received, expected) ? "valid" : "invalid";
}

/**
 * The User-Password hidden with the shared secret and the Request Authenticator (RFC 2865 §5.2),
 * or null when absent or malformed. A wrong secret gives a wrong password, not an error: that is
 * why Factor requires the Message-Authenticator, which does tell.
 */
export function revealUserPassword(request: RadiusRequest, secret: string): string | null {
  const hidden = rawAttribute(request, USER_PASSWORD);
  if (!hidden || hidden.length < 16 || hidden.length > 128 || hidden.length % 16 !== 0) return null;
  const plain = Buffer.alloc(hidden.length);
  let previous = request.authenticator;
  for (let offset = 0; offset < hidden.length; offset += 16) {
    const pad = createHash("md5").update(secret).update(previous).digest();
    for (let i = 0; i < 16; i++) plain[offset + i] = hidden[offset + i]! ^ pad[i]!;
    previous = hidden.subarray(offset, offset + 16);
  }
  const end = plain.indexOf(0);
  return plain.subarray(0, end === -1 ? plain.length : end).toString("utf8");
}

export type ReplyCode = "Access-Accept" | "Access-Reject" | "Access-Challenge";

/** What a reply says, beyond its code. */
export type ReplyContent = { message?: string; state?: string; sessionTimeoutSeconds?: number };

/** RFC 2865 §5.18: a Reply-Message is at most 253 bytes; longer text is split over several. */
function replyMessages(text: string): Buffer[] {
  const bytes = Buffer.from(text, "utf8");
  const parts: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += 253)
    parts.push(bytes.subarray(offset, offset + 253));
  return parts;
}

/**
 * Encodes a reply to `request`: the Message-Authenticator first (always, R-A20.2), the request's
 * Proxy-State copied in order (RFC 2865 §5.33), then the Response Authenticator over it all.
 */
export function encodeReply(
  request: RadiusRequest,
  code: ReplyCode,
  content: ReplyContent,
  secret: string,
): Buffer {
  const attributes: [string | number, string | number | Buffer][] = [
    ["Message-Authenticator", Buffer.alloc(MESSAGE_AUTHENTICATOR_BYTES)],
    ...replyMessages(content.message ?? "").map((part): [string, Buffer] => [
      "Reply-Message",
      part,
    ]),
  ];
  if (content.state) attributes.push(["State", Buffer.from(content.state, "latin1")]);
  if (content.sessionTimeoutSeconds)
    attributes.push(["Session-Timeout", content.sessionTimeoutSeconds]);
  for (const [id, value] of request.raw)
    if (id === PROXY_STATE) attributes.push([PROXY_STATE, value]);
  const reply = radius.encode({
    code,
    identifier: request.identifier,
    authenticator: request.authenticator,
    attributes,
    secret,
    add_message_authenticator: false,
  });
  const at = messageAuthenticatorOffsets(reply)[0]!;
  // RFC 3579 §3.2: in a reply, the HMAC covers the packet holding the Request Authenticator.
  request.authenticator.copy(reply, AUTHENTICATOR_START);
  reply.fill(0, at + 2, at + 2 + MESSAGE_AUTHENTICATOR_BYTES);
  createHmac("md5", secret)
    .update(reply)
    .digest()
    .copy(reply, at + 2);
  createHash("md5")
    .update(reply)
    .update(secret)
    .digest()
    .copy(reply, AUTHENTICATOR_START, 0, AUTHENTICATOR_BYTES);
  return reply;
}
