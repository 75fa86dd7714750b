import { webcrypto } from "node:crypto";
import { and, eq } from "drizzle-orm";
import type { Db } from "@/lib/db/client";
import { pushRequests } from "@/lib/db/schema";
import {
  beginAuthenticatorEnrolment,
  confirmAuthenticatorEnrolment,
  getPendingEnrolment,
} from "@/lib/mfa/authenticator-app";
import { beginPairing, completePairing, confirmPairedPhone } from "@/lib/mfa/companion-pairing";
import { answerPushRequest } from "@/lib/mfa/companion-push";
import { answerMessage, pairingMessage } from "@/lib/mfa/companion-protocol";
import { activatePhone, beginPhoneEnrolment } from "@/lib/mfa/phone-enrolment";
import { totpCode } from "@/lib/mfa/totp";
import type { Role } from "@/lib/auth/users";
import type { RequestContext } from "@/lib/types/request";
import { accepted } from "./enrolment";
import { createTestUser } from "./users";

// People as a service's tests need them: with an authenticator app, or with the Factor phone app
// paired as Security info and the app pair it, and the phone's answers to a push.

/** A person with an authenticator app, whose code for the current step is still unused. */
export async function createPersonWithApp(db: Db, email: string, role: Role = "user") {
  const { id, password } = await createTestUser(db, { email, displayName: "Pat", role });
  await beginAuthenticatorEnrolment(db, id, "Phone");
  const pending = await getPendingEnrolment(db, id, { issuer: "Factor", account: email });
  const earlier = new Date(Date.now() - 30_000);
  const confirmed = await confirmAuthenticatorEnrolment(
    db,
    id,
    await totpCode(pending!.secret, earlier),
  );
  if (!confirmed.ok) throw new Error("enrolment failed");
  return { id, email, password, secret: pending!.secret };
}

export type PairedTestPhone = { keys: CryptoKeyPair; deviceId: string };

async function signWith(keys: CryptoKeyPair, message: string): Promise<string> {
  const signature = await webcrypto.subtle.sign(
    { name: "ECDSA", hash: "SHA-256" },
    keys.privateKey,
    new TextEncoder().encode(message),
  );
  return Buffer.from(signature).toString("base64url");
}

/** A person whose default is the phone app's push. */
export async function createPersonWithPhone(db: Db, email: string) {
  const { id, password } = await createTestUser(db, { email, displayName: "Pat", role: "user" });
  const { token } = accepted(await beginPairing(db, id));
  const keys = await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, [
    "sign",
    "verify",
  ]);
  const spki = await webcrypto.subtle.exportKey("spki", keys.publicKey);
  const paired = await completePairing(db, {
    token,
    publicKey: Buffer.from(spki).toString("base64url"),
    name: "Pixel",
    signature: await signWith(keys, pairingMessage(token)),
  });
  if (!paired.ok) throw new Error("pairing failed");
  const confirmed = await confirmPairedPhone(db, id, await totpCode(paired.secret));
  if (!confirmed.ok) throw new Error("pairing not confirmed");
  const phone: PairedTestPhone = { keys, deviceId: paired.deviceId };
  return { id, email, password, phone };
}

/** Waits for the person's pending push request, as the phone would find it. */
export async function waitForPushRequest(db: Db, userId: string) {
  for (let i = 0; i < 50; i++) {
    const rows = await db
      .select({
        id: pushRequests.id,
        challenge: pushRequests.challenge,
        context: pushRequests.context,
      })
      .from(pushRequests)
      .where(and(eq(pushRequests.userId, userId), eq(pushRequests.status, "pending")));
    if (rows[0]) return rows[0];
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("no push request arrived");
}

/** The phone's signed answer to a request that asks for no number. */
export async function answerOnPhone(
  db: Db,
  phone: PairedTestPhone,
  request: { id: string; challenge: string },
  decision: "approve" | "deny",
  context: RequestContext,
) {
  const signed = {
    requestId: request.id,
    challenge: request.challenge,
    decision,
    number: "",
    fraud: false,
  };
  return answerPushRequest(
    db,
    {
      deviceId: phone.deviceId,
      ...signed,
      signature: await signWith(phone.keys, answerMessage(signed)),
    },
    context,
  );
}

/** Adds an active mobile phone that takes texts, as Security info would; returns its method id. */
export async function addMobilePhone(db: Db, userId: string, e164: string): Promise<string> {
  const methodId = accepted(
    await beginPhoneEnrolment(db, userId, {
      kind: "mobile_phone",
      e164,
      extension: null,
      channel: "sms",
      replaces: null,
      bindingId: "sign-in:test",
    }),
  );
  if (!(await activatePhone(db, userId, methodId))) throw new Error(`${e164} was not activated`);
  return methodId;
}
