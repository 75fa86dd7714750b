"use server";

import { redirect } from "next/navigation";
import type { ActionState } from "@/lib/actions/form-action";
import { getRegistrant } from "@/lib/auth/registrant";
import { requireFreshSession } from "@/lib/auth/sign-in-flow";
import { getDb } from "@/lib/db/client";
import {
  beginPairing,
  confirmPairedPhone,
  listOtherPhones,
  removeReplacedCompanion,
} from "@/lib/mfa/companion-pairing";
import { confirmEnrolment } from "@/lib/auth/enrolment";
import type { EnrolmentRefusal } from "@/lib/mfa/enrolment-result";
import { limitReachedMessage } from "@/lib/mfa/registry";
import { normaliseOtp } from "@/lib/mfa/second-factor";
import { getRequestContext } from "@/lib/security/request-context";
import { enrolmentRequest, stepAfterMethod, THROTTLED_MESSAGE } from "../enrolment";

export type PairingLinkState =
  | { status: "idle" }
  | { status: "error"; message: string }
  | { status: "ready"; link: string; expiresAt: string };

/**
 * "Show QR code": a one-time pairing link for this registrant (R-A6.5: only from an
 * authenticated session with a fresh second factor, or a sign-in that must register).
 */
export async function beginPairingAction(): Promise<PairingLinkState> {
  const registrant = await getRegistrant();
  if (!registrant) redirect("/signin");
  const begun = await beginPairing(await getDb(), registrant.user.id);
  if (!begun.ok) return { status: "error", message: limitReachedMessage("companion_app") };
  const { link, expiresAt } = begun.value;
  return { status: "ready", link, expiresAt: expiresAt.toISOString() };
}

const CONFIRM_REFUSED: Partial<Record<EnrolmentRefusal, string>> = {
  throttled: THROTTLED_MESSAGE,
  malformed: "Enter the 6-digit code shown in the Authenticator app.",
  wrong_code:
    "That code didn't work. Enter the code the Authenticator app on your phone shows now.",
};

/**
 * "Enter code" → "Next": the code the paired phone shows binds it (R-A4.4) and, mid-sign-in,
 * counts as the second factor (R-A9.2). With another phone already paired, offers to remove it.
 */
export async function confirmPairingAction(
  _previous: ActionState,
  formData: FormData,
): Promise<ActionState> {
  const registrant = await getRegistrant();
  if (!registrant) redirect("/signin");
  const db = await getDb();
  const result = await confirmEnrolment(db, {
    enrolee: registrant,
    kind: "companion_app",
    proof: "code",
    answer: normaliseOtp(formData.get("code")),
    confirm: (tx, code) => confirmPairedPhone(tx, registrant.user.id, code),
    ...(await enrolmentRequest()),
  });
  if (!result.ok) {
    return {
      status: "error",
      message: CONFIRM_REFUSED[result.reason] ?? CONFIRM_REFUSED.wrong_code,
    };
  }
  const { methodId } = result.value;
  const others = await listOtherPhones(db, registrant.user.id, methodId);
  redirect(
    others.length > 0 && registrant.via === "session"
      ? `/register/companion/replace?new=${methodId}`
      : await stepAfterMethod(registrant),
  );
}

/**
 * "Remove your old phone?" → "Remove": moving to a new phone is pairing it, then removing the
 * old one (R-A4.5). The same checks as Security info's Delete: fresh, owned, never the last.
 */
export async function removeOldPhoneAction(formData: FormData): Promise<void> {
  const session = await requireFreshSession("/register/companion/replace");
  await removeReplacedCompanion(
    await getDb(),
    session.user,
    String(formData.get("methodId") ?? ""),
    await getRequestContext(),
  );
  redirect("/register/success");
}
