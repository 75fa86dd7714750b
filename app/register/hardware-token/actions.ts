"use server";

import { redirect } from "next/navigation";
import type { ActionState } from "@/lib/actions/form-action";
import { methodKindEnabled } from "@/lib/settings/policy";
import { getRegistrant } from "@/lib/auth/registrant";
import { getDb } from "@/lib/db/client";
import { confirmEnrolment } from "@/lib/auth/enrolment";
import type { EnrolmentRefusal } from "@/lib/mfa/enrolment-result";
import { activateHardwareToken } from "@/lib/mfa/hardware-token";
import { limitReachedMessage } from "@/lib/mfa/registry";
import { normaliseOtp } from "@/lib/mfa/second-factor";
import { enrolmentRequest, stepAfterMethod, THROTTLED_MESSAGE } from "../enrolment";

const ENTER_CODE = "Enter the 6-digit code the token shows.";

const REFUSED: Partial<Record<EnrolmentRefusal, string>> = {
  throttled: THROTTLED_MESSAGE,
  not_found: "That token is not assigned to you. Ask the helpdesk.",
  wrong_code: "That code didn't work. Press the token's button and enter the code it shows now.",
  limit_reached: limitReachedMessage("hardware_token"),
};

/**
 * "Activate": the person's assigned token becomes a sign-in method once they enter the code it
 * shows (R-A4.4, R-A4.6). Who may: someone mid-sign-in at registration (the token is then their
 * second factor, R-A9.2) or a signed-in person with a fresh second factor (R-A9.1) — getRegistrant
 * decides. The token id is looked up scoped to the person (R-A9.4). Wrong codes are throttled.
 */
export async function activateTokenAction(
  _previous: ActionState,
  formData: FormData,
): Promise<ActionState> {
  const registrant = await getRegistrant();
  if (!registrant) redirect("/signin");
  if (!methodKindEnabled("hardware_token")) {
    return { status: "error", message: "Hardware tokens are turned off by your organisation." };
  }
  const tokenId = formData.get("tokenId");
  if (typeof tokenId !== "string") {
    return { status: "error", fieldErrors: { code: [ENTER_CODE] } };
  }
  const result = await confirmEnrolment(await getDb(), {
    enrolee: registrant,
    kind: "hardware_token",
    proof: "code",
    answer: normaliseOtp(formData.get("code")),
    confirm: (tx, code) => activateHardwareToken(tx, registrant.user.id, tokenId, code),
    ...(await enrolmentRequest()),
  });
  if (!result.ok) {
    return result.reason === "malformed"
      ? { status: "error", fieldErrors: { code: [ENTER_CODE] } }
      : { status: "error", message: REFUSED[result.reason] ?? REFUSED.wrong_code };
  }
  redirect(await stepAfterMethod(registrant));
}
