"use server";

import { redirect } from "next/navigation";
import type { ActionState } from "@/lib/actions/form-action";
import { writeAudit } from "@/lib/audit/log";
import { readBrowserState } from "@/lib/auth/browser-cookies";
import { finishSignIn } from "@/lib/auth/next-auth";
import { mfaThrottlePolicy } from "@/lib/settings/policy";
import { getRegistrant } from "@/lib/auth/registrant";
import { recordSecondFactor } from "@/lib/auth/sign-in";
import { getDb } from "@/lib/db/client";
import {
  beginAuthenticatorEnrolment,
  confirmAuthenticatorEnrolment,
  TooManyDevicesError,
} from "@/lib/mfa/authenticator-app";
import { issueRecoveryCodes } from "@/lib/mfa/recovery-codes";
import { normaliseOtp } from "@/lib/mfa/second-factor";
import { queueSecurityNotice } from "@/lib/notify/security-notice";
import { getRequestContext } from "@/lib/security/request-context";
import { getThrottle, recordFailure, resetThrottle } from "@/lib/security/throttle";

/** "Set up your account" → "Next": a new secret for this device. */
export async function beginEnrolmentAction(
  _previous: ActionState,
  formData: FormData,
): Promise<ActionState> {
  const registrant = await getRegistrant();
  if (!registrant) redirect("/signin");
  const label = formData.get("deviceName");
  if (typeof label !== "string" || label.trim().length > 40) {
    return { status: "error", fieldErrors: { deviceName: ["Use at most 40 characters."] } };
  }
  try {
    await beginAuthenticatorEnrolment(
      await getDb(),
      registrant.user.id,
      label || "Authenticator app",
    );
  } catch (error) {
    if (error instanceof TooManyDevicesError) {
      return {
        status: "error",
        message:
          "You already have 5 authenticator apps. Delete one in Security info before adding another.",
      };
    }
    throw error;
  }
  redirect("/register/app/scan");
}

/** "Enter code" → "Next": binds the app and, mid-sign-in, counts as its second factor (R-A9.2). */
export async function confirmEnrolmentAction(
  _previous: ActionState,
  formData: FormData,
): Promise<ActionState> {
  const registrant = await getRegistrant();
  if (!registrant) redirect("/signin");
  const input = formData.get("code");
  const code = typeof input === "string" ? normaliseOtp(input) : null;
  const db = await getDb();
  const throttleKey = `${registrant.user.id}:enrol`;
  if ((await getThrottle(db, "mfa:option", throttleKey)).locked) {
    return {
      status: "error",
      message: "Too many wrong codes. Wait a few minutes, then try again.",
    };
  }
  const context = await getRequestContext();
  const confirmed = await db.transaction(async (tx) => {
    const result = code ? await confirmAuthenticatorEnrolment(tx, registrant.user.id, code) : null;
    if (!result) return null;
    await resetThrottle(tx, "mfa:option", throttleKey);
    await writeAudit(tx, {
      action: "mfa.method.added",
      outcome: "success",
      actorId: registrant.user.id,
      subjectId: registrant.user.id,
      ...context,
      details: { kind: "authenticator_app", methodId: result.methodId },
    });
    await queueSecurityNotice(tx, registrant.user, "method.added", context, "Authenticator app");
    if (registrant.transaction) {
      const stage = await recordSecondFactor(
        tx,
        registrant.transaction.transaction,
        "registration",
        "otp",
        await readBrowserState(),
      );
      if (!stage) throw new Error("sign-in transaction moved on during registration");
    }
    return result;
  });
  if (!confirmed) {
    await recordFailure(db, "mfa:option", throttleKey, mfaThrottlePolicy());
    return {
      status: "error",
      message: code
        ? "That code didn't work. Check that the app shows this account, then enter its current code."
        : "Enter the 6-digit code shown in the app.",
    };
  }
  redirect("/register/success");
}

export type RecoveryCodesState = { codes?: string[]; error?: string };

/** Creates (or replaces) recovery codes and shows them once (R-A8.1, R-A8.4). */
export async function createRecoveryCodesAction(): Promise<RecoveryCodesState> {
  const registrant = await getRegistrant({ justRegistered: true });
  if (!registrant)
    return { error: "Your session has ended. Sign in again to create recovery codes." };
  const codes = await issueRecoveryCodes(await getDb(), registrant.user, await getRequestContext());
  return { codes };
}

/** "Done": mid-sign-in, on to "Stay signed in?" or straight in; otherwise back to Security info. */
export async function finishRegistrationAction(): Promise<void> {
  const registrant = await getRegistrant({ justRegistered: true });
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
