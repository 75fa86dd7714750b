import { webcrypto } from "node:crypto";
import { confirmEnrolment } from "@/lib/auth/enrolment";
import { createUser, newUserSchema } from "@/lib/auth/users";
import type { Db } from "@/lib/db/client";
import { getEnv } from "@/lib/env";
import {
  beginAuthenticatorEnrolment,
  confirmAuthenticatorEnrolment,
  getPendingEnrolment,
} from "@/lib/mfa/authenticator-app";
import { beginPairing, completePairing, confirmPairedPhone } from "@/lib/mfa/companion-pairing";
import { pairingMessage } from "@/lib/mfa/companion-protocol";
import { totpCode } from "@/lib/mfa/totp";
import { accepted } from "@/lib/testing/enrolment";
import { openConfiguredDatabase } from "../../scripts/open-configured-database";
import type { CreatedAccount } from "./accounts";
import type { PairedPhone } from "./companion";

// Creates several accounts in one process, through the same createUser as `npm run user --
// create`: a new process per account would spend most of its time starting up. Reads a JSON
// array of { email, displayName, role, phone?, authenticator? } on stdin and prints the passwords as JSON. An
// entry with `authenticator` has the wizard's authenticator app; one with a phone also gets what a person has once they signed in the first time and paired
// the companion app: an authenticator app, then a phone of that name, each enrolled and
// confirmed with a code through the same lib/ functions the wizard's and the app's requests call.

const STEP_MS = 30_000;
const context = { ip: null, userAgent: null };
type User = { id: string; email: string; displayName: string };

/**
 * A moment in the time-step before the current one. Its code is still accepted (one step either
 * side, R-A4.2) and spends that step, so the test's first code, now, needs no wait for the next
 * one (R-A4.3), as when the device was set up a little while ago. Never within two seconds of a
 * step's end, so the code is checked before the server has moved two steps on.
 */
async function previousStep(): Promise<Date> {
  const intoStep = Date.now() % STEP_MS;
  if (intoStep > STEP_MS - 2000)
    await new Promise((resolve) => setTimeout(resolve, STEP_MS - intoStep + 100));
  return new Date(Date.now() - STEP_MS);
}

/** The wizard's "Phone" authenticator app: a new secret, confirmed with a code it shows. */
async function enrolAuthenticatorApp(db: Db, user: User) {
  accepted(await beginAuthenticatorEnrolment(db, user.id, "Phone"));
  const pending = await getPendingEnrolment(db, user.id, {
    issuer: getEnv().ORG_NAME,
    account: user.email,
  });
  if (!pending) throw new Error(`${user.email}: no authenticator app to confirm`);
  const at = await previousStep();
  accepted(
    await confirmEnrolment(db, {
      enrolee: { user },
      kind: "authenticator_app",
      proof: "code",
      answer: await totpCode(pending.secret, at),
      confirm: (tx, code) => confirmAuthenticatorEnrolment(tx, user.id, code),
      context,
    }),
  );
  return { secret: pending.secret, usedStep: Math.floor(at.getTime() / STEP_MS) };
}

/**
 * Pairs a phone as /authenticator/pair does: a P-256 key of its own (extractable only so the
 * browser that plays the phone can import it), the one-time link's token signed with it, then
 * the code the phone shows entered as in Security info.
 */
async function pairPhone(db: Db, user: User, name: string): Promise<PairedPhone> {
  const { token } = accepted(await beginPairing(db, user.id));
  const keys = await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ]);
  const spki = await webcrypto.subtle.exportKey("spki", keys.publicKey);
  const signature = await webcrypto.subtle.sign(
    { name: "ECDSA", hash: "SHA-256" },
    keys.privateKey,
    new TextEncoder().encode(pairingMessage(token)),
  );
  const paired = await completePairing(
    db,
    {
      token,
      publicKey: Buffer.from(spki).toString("base64url"),
      name,
      signature: Buffer.from(signature).toString("base64url"),
    },
    context,
  );
  if (!paired.ok) throw new Error(`${user.email}: ${paired.reason}`);
  const confirmedWith = await totpCode(paired.secret, await previousStep());
  accepted(
    await confirmEnrolment(db, {
      enrolee: { user },
      kind: "companion_app",
      proof: "code",
      answer: confirmedWith,
      confirm: (tx, code) => confirmPairedPhone(tx, user.id, code),
      context,
    }),
  );
  return {
    deviceId: paired.deviceId,
    name,
    account: paired.account,
    issuer: paired.issuer,
    signingKey: await webcrypto.subtle.exportKey("jwk", keys.privateKey),
    totpSecret: paired.secret,
    confirmedWith,
  };
}

const input = JSON.parse(await new Response(process.stdin as never).text()) as {
  phone?: string;
  authenticator?: boolean;
}[];
const database = await openConfiguredDatabase();
try {
  const created: CreatedAccount[] = [];
  for (const { phone, authenticator, ...entry } of input) {
    const account = newUserSchema.parse(entry);
    const result = await createUser(database.db, account);
    if (!result.ok) throw new Error(`${account.email}: ${result.reason}`);
    const user = { id: result.id, email: account.email, displayName: account.displayName };
    created.push({
      email: account.email,
      password: result.password,
      ...(phone === undefined && !authenticator
        ? {}
        : { authenticator: await enrolAuthenticatorApp(database.db, user) }),
      ...(phone === undefined ? {} : { phone: await pairPhone(database.db, user, phone) }),
    });
  }
  console.log(JSON.stringify(created));
} finally {
  await database.close();
}
