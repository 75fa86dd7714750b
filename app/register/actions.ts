"use server";

import { redirect } from "next/navigation";
import type { ActionState } from "@/lib/actions/form-action";
import { finishSignIn } from "@/lib/auth/next-auth";
import { getRegistrant } from "@/lib/auth/registrant";
import { getDb } from "@/lib/db/client";
import {
  beginAuthenticatorEnrolment,
  confirmAuthenticatorEnrolment,
  DEVICE_NAME_MAX,
} from "@/lib/mfa/authenticator-app";
import { confirmEnrolment } from "@/lib/auth/enrolment";
import type { EnrolmentRefusal } from "@/lib/mfa/enrolment-result";
import { issueRecoveryCodes } from "@/lib/mfa/recovery-codes";
import { limitReachedMessage } from "@/lib/mfa/registry";
import { normaliseOtp } from "@/lib/mfa/second-factor";
import { getRequestContext } from "@/lib/security/request-context";
import { enrolmentRequest, stepAfterMethod, THROTTLED_MESSAGE } from "./enrolment";

/** "Set up your account" → "Next": a new secret for this device. */
export async function beginEnrolmentAction(
  _previous: ActionState,
  formData: FormData,
): Promise<ActionState> {
  const registrant = await getRegistrant();
  if (!registrant) redirect("/signin");
  const label = formData.get("deviceName");
  if (typeof label !== "string" || label.trim().length > DEVICE_NAME_MAX) {
    return {
      status: "error",
      fieldErrors: { deviceName: [`Use at most ${DEVICE_NAME_MAX} characters.`] },
    };
  }
  const begun = await beginAuthenticatorEnrolment(
    await getDb(),
    registrant.user.id,
    label || "Authenticator app",
  );
  if (!begun.ok) return { status: "error", message: limitReachedMessage("authenticator_app") };
  redirect("/register/app/scan");
}

const CONFIRM_REFUSED: Partial<Record<EnrolmentRefusal, string>> = {
  throttled: THROTTLED_MESSAGE,
  malformed: "Enter the 6-digit code shown in the app.",
  wrong_code:
    "That code didn't work. Check that the app shows this account, then enter its current code.",
};

/** "Enter code" → "Next": binds the app and, mid-sign-in, counts as its second factor (R-A9.2). */
export async function confirmEnrolmentAction(
  _previous: ActionState,
  formData: FormData,
): Promise<ActionState> {
  const registrant = await getRegistrant();
  if (!registrant) redirect("/signin");
  const result = await confirmEnrolment(await getDb(), {
    enrolee: registrant,
    kind: "authenticator_app",
    proof: "code",
    answer: normaliseOtp(formData.get("code")),
    confirm: (tx, code) => confirmAuthenticatorEnrolment(tx, registrant.user.id, code),
    ...(await enrolmentRequest()),
  });
  if (!result.ok) {
    return {
      status: "error",
      message: CONFIRM_REFUSED[result.reason] ?? CONFIRM_REFUSED.wrong_code,
    };
  }
  redirect(await stepAfterMethod(registrant));
}

export type RecoveryCodesState = { codes?: string[]; error?: string };

/** Creates (or replaces) recovery codes and shows them once (R-A8.1, R-A8.4). */
export async function createRecoveryCodesAction(): Promise<RecoveryCodesState> {
  const registrant = await getRegistrant();
  if (!registrant)
    return { error: "Your session has ended. Sign in again to create recovery codes." };
  const codes = await issueRecoveryCodes(await getDb(), registrant.user, await getRequestContext());
  return { codes };
}

/** "Done": mid-sign-in, on to "Stay signed in?" or straight in; otherwise back to Security info. */
export async function finishRegistrationAction(): Promise<void> {
  const registrant = await getRegistrant();
  if (!registrant) redirect("/signin");
  const current = registrant.transaction;
  if (!current) redirect("/security-info");
  if (current.transaction.stage === "stay_signed_in") redirect("/signin/stay-signed-in");
  if (current.transaction.stage !== "ready") redirect("/register");
  return finishSignIn(
    current.token,
    current.transaction.callbackPath,
    current.transaction.persistent,
  );
}
