// The companion app's own keys and storage, in the browser. The ECDSA key and the TOTP key are
// created or imported as non-extractable CryptoKeys and kept in IndexedDB: script on this origin
// can use them but never read them out. Nothing here talks to the portal's session. The app PIN
// is not kept at all: it is turned into a proof the server checks (and counts) each time.

import {
  answerMessage,
  deviceCallMessage,
  DEVICE_SIGNATURE_HEADER,
  pairingMessage,
  PIN_PROOF_ITERATIONS,
  pinProofSalt,
  type AnswerResult,
  type DeviceCall,
  type EnableRefusal,
  type PendingPush,
  type PinOutcome,
  type PushDecision,
} from "@/lib/mfa/companion-protocol";

export type StoredDevice = {
  deviceId: string;
  name: string;
  account: string;
  issuer: string;
  signingKey: CryptoKey;
  totpKey: CryptoKey;
  /** The timestamp of the last signed call, so the next one is always later. */
  lastTimestamp: number;
};

const DB_NAME = "factor-authenticator";
const STORE = "device";
const KEY = "current";

function openStore(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function withStore<T>(
  mode: IDBTransactionMode,
  run: (store: IDBObjectStore) => IDBRequest<T>,
): Promise<T> {
  const db = await openStore();
  try {
    return await new Promise<T>((resolve, reject) => {
      const request = run(db.transaction(STORE, mode).objectStore(STORE));
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  } finally {
    db.close();
  }
}

/** The paired device kept on this phone, if any. */
export async function loadDevice(): Promise<StoredDevice | null> {
  const stored = await withStore<(StoredDevice & { pin?: unknown }) | undefined>("readonly", (s) =>
    s.get(KEY),
  );
  if (!stored) return null;
  if (!("pin" in stored)) return stored;
  // Earlier versions kept a PIN verifier here, which could be guessed against offline: drop it.
  const { pin: _dropped, ...device } = stored;
  await saveDevice(device);
  return device;
}

export async function saveDevice(device: StoredDevice): Promise<void> {
  await withStore("readwrite", (s) => s.put(device, KEY));
}

export async function forgetDevice(): Promise<void> {
  await withStore("readwrite", (s) => s.delete(KEY));
}

function toBase64Url(bytes: ArrayBuffer): string {
  let binary = "";
  for (const byte of new Uint8Array(bytes)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function sign(key: CryptoKey, message: string): Promise<string> {
  const signature = await crypto.subtle.sign(
    { name: "ECDSA", hash: "SHA-256" },
    key,
    new TextEncoder().encode(message),
  );
  return toBase64Url(signature);
}

function base32Decode(input: string): Uint8Array<ArrayBuffer> {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const clean = input.toUpperCase().replace(/[^A-Z2-7]/g, "");
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const char of clean) {
    value = (value << 5) | alphabet.indexOf(char);
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return new Uint8Array(bytes);
}

/**
 * Pairs this phone with the one-time token from the link: a new key pair whose private half
 * cannot be exported, its public half registered with a signature proving possession.
 */
export async function pairDevice(token: string, name: string): Promise<StoredDevice> {
  const keys = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, [
    "sign",
  ]);
  const publicKey = toBase64Url(await crypto.subtle.exportKey("spki", keys.publicKey));
  const response = await fetch("/api/authenticator/pair", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      token,
      publicKey,
      name,
      signature: await sign(keys.privateKey, pairingMessage(token)),
    }),
  });
  if (!response.ok) throw new Error("pairing refused");
  const paired = (await response.json()) as {
    deviceId: string;
    secret: string;
    issuer: string;
    account: string;
  };
  // The TOTP secret becomes a key this page can compute with but never read back.
  const totpKey = await crypto.subtle.importKey(
    "raw",
    base32Decode(paired.secret),
    { name: "HMAC", hash: "SHA-1" },
    false,
    ["sign"],
  );
  const device: StoredDevice = {
    deviceId: paired.deviceId,
    name,
    account: paired.account,
    issuer: paired.issuer,
    signingKey: keys.privateKey,
    totpKey,
    lastTimestamp: 0,
  };
  await saveDevice(device);
  return device;
}

/** The RFC 6238 code (HMAC-SHA-1, 6 digits, 30 s) for a moment. */
export async function totpAt(device: StoredDevice, at = Date.now()): Promise<string> {
  const counter = Math.floor(at / 30_000);
  const message = new ArrayBuffer(8);
  new DataView(message).setUint32(4, counter);
  new DataView(message).setUint32(0, Math.floor(counter / 2 ** 32));
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", device.totpKey, message));
  const offset = mac[19]! & 0x0f;
  const binary =
    ((mac[offset]! & 0x7f) << 24) |
    (mac[offset + 1]! << 16) |
    (mac[offset + 2]! << 8) |
    mac[offset + 3]!;
  return String(binary % 1_000_000).padStart(6, "0");
}

/** Signed calls go one at a time, each with a later timestamp than the one before. */
let queue: Promise<unknown> = Promise.resolve();

export type CallAnswer = {
  active: boolean;
  phoneSignIn: boolean;
  /** How the PIN went, for "pin_change". */
  pin?: PinOutcome;
  /** Why "phone_sign_in_on" did not turn it on. */
  refused?: EnableRefusal;
  requests: PendingPush[];
  vapidPublicKey: string | null;
};

/** A signed call to the server; null when the server no longer knows this device. */
export function deviceCall(
  device: StoredDevice,
  action: DeviceCall["action"],
  extra: Pick<DeviceCall, "subscription" | "pinProof" | "newPinProof" | "password"> = {},
): Promise<CallAnswer | null> {
  const run = async () => {
    const current = (await loadDevice()) ?? device;
    const timestamp = Math.max(Date.now(), current.lastTimestamp + 1);
    await saveDevice({ ...current, lastTimestamp: timestamp });
    const body = JSON.stringify({ deviceId: device.deviceId, timestamp, action, ...extra });
    const response = await fetch("/api/authenticator/requests", {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        [DEVICE_SIGNATURE_HEADER]: await sign(device.signingKey, deviceCallMessage(body)),
      },
      body,
      cache: "no-store",
    });
    if (response.status === 401) return null;
    if (!response.ok) throw new Error(`call failed: ${response.status}`);
    return (await response.json()) as CallAnswer;
  };
  const next = queue.then(run, run);
  queue = next.catch(() => undefined);
  return next;
}

/**
 * Answers a request: the signature covers its id, its challenge, the number typed and, approving
 * a phone sign-in, the app PIN's proof (checked by the server).
 */
export async function answerRequest(
  device: StoredDevice,
  request: PendingPush,
  decision: PushDecision,
  number: string,
  fraud: boolean,
  pinProof = "",
): Promise<{ result: AnswerResult; attemptsLeft?: number }> {
  const signature = await sign(
    device.signingKey,
    answerMessage({
      requestId: request.id,
      challenge: request.challenge,
      decision,
      number,
      fraud,
      pinProof,
    }),
  );
  const response = await fetch("/api/authenticator/answer", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      deviceId: device.deviceId,
      requestId: request.id,
      decision,
      number,
      fraud,
      ...(pinProof ? { pinProof } : {}),
      signature,
    }),
  });
  return (await response.json()) as { result: AnswerResult; attemptsLeft?: number };
}

function urlBase64ToBytes(value: string): Uint8Array<ArrayBuffer> {
  const base64 = value.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  const bytes = new Uint8Array(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Registers the service worker (offline codes) and, when the server offers it, Web Push. */
export async function registerWorker(
  device: StoredDevice | null,
  vapidPublicKey: string | null,
): Promise<void> {
  if (!("serviceWorker" in navigator)) return;
  const registration = await navigator.serviceWorker.register("/authenticator/sw.js", {
    scope: "/authenticator",
  });
  if (!device || !vapidPublicKey || !("PushManager" in window)) return;
  if ((await Notification.requestPermission()) !== "granted") return;
  await navigator.serviceWorker.ready;
  const existing = await registration.pushManager.getSubscription();
  const subscription =
    existing ??
    (await registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: urlBase64ToBytes(vapidPublicKey),
    }));
  await deviceCall(device, "subscribe", {
    subscription: { endpoint: subscription.endpoint },
  });
}

// ── the app PIN (phone sign-in's second factor, checked by the server) ────────

/**
 * The proof of an app PIN that this device sends, never the PIN: PBKDF2-SHA-256 salted with the
 * device id. Nothing derived from the PIN is kept; the server checks the proof against its own
 * argon2id hash and counts wrong ones, so the PIN cannot be guessed from this phone's storage.
 */
export async function pinProof(device: StoredDevice, pin: string): Promise<string> {
  const material = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(pin),
    "PBKDF2",
    false,
    ["deriveBits"],
  );
  const bits = await crypto.subtle.deriveBits(
    {
      name: "PBKDF2",
      hash: "SHA-256",
      salt: new TextEncoder().encode(pinProofSalt(device.deviceId)),
      iterations: PIN_PROOF_ITERATIONS,
    },
    material,
    256,
  );
  return toBase64Url(bits);
}
