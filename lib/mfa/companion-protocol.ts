// What the companion authenticator signs with its device key (ECDSA P-256, SHA-256, the raw
// 64-byte r‖s signature WebCrypto produces), shared by the app in the browser and the server.
// Every message starts with its own prefix, so a signature made for one purpose never passes
// for another. No Node or browser API here: both sides import it.

/** Proof, when pairing, that the device holds the private key of the public key it registers. */
export function pairingMessage(token: string): string {
  return `factor-authenticator/v1/pair\n${token}`;
}

/**
 * A signed call from the device (list requests, enable phone sign-in…): the exact body text is
 * signed. The body carries the device id and a timestamp that must only ever grow (no replays).
 */
export function deviceCallMessage(bodyText: string): string {
  return `factor-authenticator/v1/call\n${bodyText}`;
}

export type PushDecision = "approve" | "deny";

/**
 * An answer to one push request (R-A6.1): the request id, its fresh challenge and the number the
 * person typed are all signed, so an approval cannot be moved to another request or number.
 */
export function answerMessage(answer: {
  requestId: string;
  challenge: string;
  decision: PushDecision;
  number: string;
  fraud: boolean;
}): string {
  return [
    "factor-authenticator/v1/answer",
    answer.decision,
    answer.requestId,
    answer.challenge,
    answer.number,
    answer.fraud ? "fraud" : "",
  ].join("\n");
}

/** The body of a signed device call. */
export type DeviceCall = {
  deviceId: string;
  /** Milliseconds since the epoch; strictly greater than the device's previous call. */
  timestamp: number;
  action: "requests" | "subscribe" | "unsubscribe" | "phone_sign_in_on" | "phone_sign_in_off";
  subscription?: { endpoint: string; keys?: Record<string, string> } | null;
};

/** A pending request as the device shows it. */
export type PendingPush = {
  id: string;
  challenge: string;
  /** "phone_sign_in" asks for the app's own unlock before approving (no password was given). */
  purpose: "second_factor" | "phone_sign_in";
  app: string;
  location: string;
  ip: string | null;
  device: string | null;
  createdAt: string;
  expiresAt: string;
};

export const DEVICE_SIGNATURE_HEADER = "x-factor-signature";
