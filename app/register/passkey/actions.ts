"use server";

import { redirect } from "next/navigation";
import type { ActionState } from "@/lib/actions/form-action";
import { writeAudit } from "@/lib/audit/log";
import { readBrowserState } from "@/lib/auth/browser-cookies";
import { getRegistrant, type Registrant } from "@/lib/auth/registrant";
import { recordSecondFactor } from "@/lib/auth/sign-in";
import { getDb } from "@/lib/db/client";
import { getMethodSummary } from "@/lib/mfa/methods";
import {
  beginPasskeyRegistration,
  finishPasskeyRegistration,
  PASSKEY_NAME_MAX_LENGTH,
  type PasskeyCreationOptions,
} from "@/lib/mfa/passkeys";
import { kindOffered } from "@/lib/mfa/registry";
import { queueSecurityNotice } from "@/lib/notify/security-notice";
import { getRequestContext } from "@/lib/security/request-context";

// Who may register: someone mid-sign-in at the registration stage (R-A9.2) or a signed-in person
// whose second factor is fresh (R-A9.1, R-A7.4) — getRegistrant decides, in every action.

const REFUSED: Record<"invalid" | "duplicate" | "too_many", string> = {
  invalid: "We couldn't check that passkey. Try again.",
  duplicate: "That passkey is already registered to an account.",
  too_many: "You already have 10 passkeys. Delete one in Security info before adding another.",
};

async function requireOffered(registrant: Registrant): Promise<boolean> {
  const { role } = await getMethodSummary(await getDb(), registrant.user.id);
  return kindOffered("passkey", role);
}

/** "Next": options to create a passkey, with a challenge kept on the server for 5 minutes. */
export async function passkeyRegistrationOptionsAction(): Promise<
  { ok: true; options: PasskeyCreationOptions } | { ok: false; message: string }
> {
  const registrant = await getRegistrant();
  if (!registrant) {
    return { ok: false, message: "Please verify your identity again, then add the passkey." };
  }
  if (!(await requireOffered(registrant))) {
    return { ok: false, message: "Passkeys are turned off by your organisation." };
  }
  return { ok: true, options: await beginPasskeyRegistration(await getDb(), registrant.user) };
}

/**
 * The browser's new passkey: checked by the server's own rules and stored with its name, audited
 * and told to the person in one transaction; mid-sign-in it is also the sign-in's second factor.
 */
export async function registerPasskeyAction(
  _previous: ActionState,
  formData: FormData,
): Promise<ActionState> {
  const registrant = await getRegistrant();
  if (!registrant) redirect("/signin");
  if (!(await requireOffered(registrant))) {
    return { status: "error", message: "Passkeys are turned off by your organisation." };
  }
  const name = formData.get("name");
  const response = formData.get("response");
  if (typeof name !== "string" || name.trim().length > PASSKEY_NAME_MAX_LENGTH) {
    return {
      status: "error",
      fieldErrors: { name: [`Use at most ${PASSKEY_NAME_MAX_LENGTH} characters.`] },
    };
  }
  if (typeof response !== "string" || response.length === 0) {
    return { status: "error", message: REFUSED.invalid };
  }
  const db = await getDb();
  const context = await getRequestContext();
  const browser = await readBrowserState();
  const result = await db.transaction(async (tx) => {
    const outcome = await finishPasskeyRegistration(tx, registrant.user.id, { response, name });
    if (!outcome.ok) {
      await writeAudit(tx, {
        action: "mfa.method.added",
        outcome: "failure",
        actorId: registrant.user.id,
        subjectId: registrant.user.id,
        ...context,
        details: { kind: "passkey", reason: outcome.reason },
      });
      return outcome;
    }
    await writeAudit(tx, {
      action: "mfa.method.added",
      outcome: "success",
      actorId: registrant.user.id,
      subjectId: registrant.user.id,
      ...context,
      details: {
        kind: "passkey",
        methodId: outcome.methodId,
        credentialId: outcome.credentialId,
        synced: outcome.synced,
      },
    });
    await queueSecurityNotice(
      tx,
      registrant.user,
      "method.added",
      context,
      `Passkey "${outcome.name}"`,
    );
    if (registrant.transaction) {
      const stage = await recordSecondFactor(
        tx,
        registrant.transaction.transaction,
        "registration",
        "hwk",
        browser,
      );
      if (!stage) throw new Error("sign-in transaction moved on during registration");
    }
    return outcome;
  });
  if (!result.ok) return { status: "error", message: REFUSED[result.reason] };
  redirect("/register/success");
}
