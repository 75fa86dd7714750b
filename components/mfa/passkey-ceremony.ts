"use client";

import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from "@simplewebauthn/browser";

// The browser side of passkeys. @simplewebauthn/browser is loaded only when a person starts a
// ceremony, so pages without passkeys never download it.

/** What a server action that prepares a ceremony returns. */
export type CeremonyOptions<T> = { ok: true; options: T } | { ok: false; message: string };

export type CeremonyResult = { ok: true; response: string } | { ok: false; message: string };

const CANCELLED = "The passkey request was cancelled or timed out. Try again when you are ready.";

function failure(error: unknown, creating: boolean): CeremonyResult {
  const name = error instanceof Error ? error.name : "";
  if (creating && name === "InvalidStateError") {
    return {
      ok: false,
      message: "This device or security key already has a passkey for your account.",
    };
  }
  if (name === "NotAllowedError" || name === "AbortError") return { ok: false, message: CANCELLED };
  if (name === "SecurityError") {
    return { ok: false, message: "Passkeys only work on this site's own address." };
  }
  return { ok: false, message: "Your browser could not use a passkey. Try again." };
}

async function browserLibrary() {
  const library = await import("@simplewebauthn/browser");
  return library.browserSupportsWebAuthn() ? library : null;
}

const UNSUPPORTED: CeremonyResult = {
  ok: false,
  message: "This browser can't use passkeys. Use another browser or sign-in method.",
};

/** Asks the browser to create a passkey; the answer is JSON for the server to check. */
export async function createPasskey(
  optionsJSON: PublicKeyCredentialCreationOptionsJSON,
): Promise<CeremonyResult> {
  const library = await browserLibrary();
  if (!library) return UNSUPPORTED;
  try {
    return { ok: true, response: JSON.stringify(await library.startRegistration({ optionsJSON })) };
  } catch (error) {
    return failure(error, true);
  }
}

/** Asks the browser to sign a challenge with a passkey; the answer is JSON for the server. */
export async function signWithPasskey(
  optionsJSON: PublicKeyCredentialRequestOptionsJSON,
): Promise<CeremonyResult> {
  const library = await browserLibrary();
  if (!library) return UNSUPPORTED;
  try {
    return {
      ok: true,
      response: JSON.stringify(await library.startAuthentication({ optionsJSON })),
    };
  } catch (error) {
    return failure(error, false);
  }
}
