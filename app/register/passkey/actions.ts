"use server";

import { redirect } from "next/navigation";
import type { ActionState } from "@/lib/actions/form-action";
import { getRegistrant, type Registrant } from "@/lib/auth/registrant";
import { getDb } from "@/lib/db/client";
import { confirmEnrolment } from "@/lib/auth/enrolment";
import type { EnrolmentRefusal } from "@/lib/mfa/enrolment-result";
import { getMethodSummary } from "@/lib/mfa/methods";
import {
  beginPasskeyRegistration,
  finishPasskeyRegistration,
  PASSKEY_NAME_MAX_LENGTH,
  type PasskeyCreationOptions,
} from "@/lib/mfa/passkeys";
import { kindOffered, limitReachedMessage } from "@/lib/mfa/registry";
import { enrolmentRequest, stepAfterMethod } from "../enrolment";

// Who may register: someone mid-sign-in at the registration stage (R-A9.2) or a signed-in person
// whose second factor is fresh (R-A9.1, R-A7.4) — getRegistrant decides, in every action.

const REFUSED: Partial<Record<EnrolmentRefusal, string>> = {
  invalid: "We couldn't check that passkey. Try again.",
  duplicate: "That passkey is already registered to an account.",
  limit_reached: limitReachedMessage("passkey"),
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
  const result = await confirmEnrolment(await getDb(), {
    enrolee: registrant,
    kind: "passkey",
    proof: "passkey",
    answer: response,
    confirm: (tx, answer) =>
      finishPasskeyRegistration(tx, registrant.user.id, { response: answer, name }),
    ...(await enrolmentRequest()),
  });
  if (!result.ok) return { status: "error", message: REFUSED[result.reason] ?? REFUSED.invalid };
  redirect(await stepAfterMethod(registrant));
}
