"use server";

import { redirect } from "next/navigation";
import type { ActionState } from "@/lib/actions/form-action";
import { writeAudit } from "@/lib/audit/log";
import { readBrowserState } from "@/lib/auth/browser-cookies";
import { mfaThrottlePolicy, methodKindEnabled } from "@/lib/settings/policy";
import { getRegistrant } from "@/lib/auth/registrant";
import { recordSecondFactor } from "@/lib/auth/sign-in";
import { getDb } from "@/lib/db/client";
import { activateHardwareToken } from "@/lib/mfa/hardware-token";
import { normaliseOtp } from "@/lib/mfa/second-factor";
import { queueSecurityNotice } from "@/lib/notify/security-notice";
import { getRequestContext } from "@/lib/security/request-context";
import { getThrottle, recordFailure, resetThrottle } from "@/lib/security/throttle";

const FAILED: Record<"no_token" | "wrong_code" | "too_many_devices", string> = {
  no_token: "That token is not assigned to you. Ask the helpdesk.",
  wrong_code: "That code didn't work. Press the token's button and enter the code it shows now.",
  too_many_devices:
    "You already have 5 authenticator apps and hardware tokens. Delete one in Security info first.",
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
  const input = formData.get("code");
  const code = typeof input === "string" ? normaliseOtp(input) : null;
  if (typeof tokenId !== "string" || !code) {
    return { status: "error", fieldErrors: { code: ["Enter the 6-digit code the token shows."] } };
  }
  const db = await getDb();
  const throttleKey = `${registrant.user.id}:token`;
  if ((await getThrottle(db, "mfa:option", throttleKey)).locked) {
    return {
      status: "error",
      message: "Too many wrong codes. Wait a few minutes, then try again.",
    };
  }
  const context = await getRequestContext();
  const browser = await readBrowserState();
  const outcome = await db.transaction(async (tx) => {
    const result = await activateHardwareToken(tx, registrant.user.id, tokenId, code);
    if (!result.ok) return result;
    await resetThrottle(tx, "mfa:option", throttleKey);
    await writeAudit(tx, {
      action: "mfa.hardware_token.activated",
      outcome: "success",
      actorId: registrant.user.id,
      subjectId: registrant.user.id,
      ...context,
      details: { tokenId, methodId: result.methodId, serialNumber: result.serialNumber },
    });
    await queueSecurityNotice(
      tx,
      registrant.user,
      "method.added",
      context,
      `Hardware token, serial number ${result.serialNumber}`,
    );
    if (registrant.transaction) {
      const stage = await recordSecondFactor(
        tx,
        registrant.transaction.transaction,
        "registration",
        "otp",
        browser,
      );
      if (!stage) throw new Error("sign-in transaction moved on during registration");
    }
    return result;
  });
  if (!outcome.ok) {
    if (outcome.reason === "wrong_code") {
      await recordFailure(db, "mfa:option", throttleKey, mfaThrottlePolicy());
    }
    return { status: "error", message: FAILED[outcome.reason] };
  }
  redirect("/register/success");
}
