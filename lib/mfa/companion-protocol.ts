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
  /** The app PIN's proof, approving a phone sign-in; empty otherwise. */
  pinProof?: string;
}): string {
  return [
    "factor-authenticator/v1/answer",
    answer.decision,
    answer.requestId,
    answer.challenge,
    answer.number,
    answer.fraud ? "fraud" : "",
    answer.pinProof ?? "",
  ].join("\n");
}

// ── the app PIN (phone sign-in's second factor, checked by the server) ──────

/** What the person may choose as an app PIN. */
export const PIN_PATTERN = /^\d{6,12}$/;
/** PBKDF2-SHA-256 iterations the phone spends turning a PIN into its proof. */
export const PIN_PROOF_ITERATIONS = 310_000;
/** A proof: 256 bits, base64url without padding. */
export const PIN_PROOF_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * The PBKDF2 salt of a device's PIN proof: its server-assigned id under this protocol's prefix.
 * Unique per device, so one PIN gives unrelated proofs on two phones, and nothing has to be
 * stored on the phone for it.
 */
export function pinProofSalt(deviceId: string): string {
  return `factor-authenticator/v1/pin\n${deviceId}`;
}

/** The body of a signed device call. */
export type DeviceCall = {
  deviceId: string;
  /** Milliseconds since the epoch; strictly greater than the device's previous call. */
  timestamp: number;
  action:
    | "requests"
    | "subscribe"
    | "unsubscribe"
    | "phone_sign_in_on"
    | "phone_sign_in_off"
    | "pin_change";
  subscription?: { endpoint: string; keys?: Record<string, string> } | null;
  /** The app PIN's proof: the new PIN's when turning phone sign-in on, else the current one's. */
  pinProof?: string;
  /** "phone_sign_in_on": the person's password, which the server checks (never stored here). */
  password?: string;
  /** "pin_change": the proof of the PIN that replaces it. */
  newPinProof?: string;
};

/** Why the server did not turn phone sign-in on. */
export type EnableRefusal = "wrong_password" | "unavailable";

/** How a PIN the server checked went; `attemptsLeft` before phone sign-in is turned off. */
export type PinOutcome =
  | { result: "ok" | "changed" }
  | { result: "wrong"; attemptsLeft: number }
  | { result: "locked" | "off" };

/** A pending request as the device shows it. */
export type PendingPush = {
  id: string;
  challenge: string;
  /**
   * "phone_sign_in" asks for the app's own unlock before approving (no password was given);
   * "helpdesk_verification" is a helpdesk agent checking that the person is the one on the call;
   * "service_sign_in" is a sign-in to a service that cannot show a number (a VPN): approved
   * without one.
   */
  purpose: "second_factor" | "phone_sign_in" | "helpdesk_verification" | "service_sign_in";
  app: string;
  location: string;
  ip: string | null;
  device: string | null;
  /** The helpdesk agent asking, for a helpdesk verification. */
  helpdesk: string | null;
  createdAt: string;
  expiresAt: string;
};

export const DEVICE_SIGNATURE_HEADER = "x-factor-signature";

/** What the server answers to an approval or a denial; the phone shows it. */
export type AnswerResult =
  | "approved"
  | "wrong-number"
  | "wrong-pin"
  | "pin-locked"
  | "denied"
  | "expired"
  | "gone"
  | "refused";
