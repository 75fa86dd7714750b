"use server";

import { redirect } from "next/navigation";
import type { ActionState } from "@/lib/actions/form-action";
import { describeWait } from "@/lib/actions/wait-text";
import { readBrowserState, setRememberedMfaCookie } from "@/lib/auth/browser-cookies";
import { finishSignIn } from "@/lib/auth/next-auth";
import { rememberMfaDays } from "@/lib/settings/policy";
import { beginSecondStep } from "@/lib/auth/second-step";
import { recordSecondFactor, STAGE_PATHS } from "@/lib/auth/sign-in";
import { getCurrentTransaction } from "@/lib/auth/sign-in-flow";
import { getUserIdentity } from "@/lib/auth/users";
import { getDb } from "@/lib/db/client";
import { getMethodSummary } from "@/lib/mfa/methods";
import { rememberBrowser } from "@/lib/mfa/remembered-browser";
import { verifySecondFactor } from "@/lib/mfa/second-factor";
import { getRequestContext } from "@/lib/security/request-context";

const WRONG_CODE = "That code didn't work.";

/** The second step of sign-in, and of a step-up: one code for one option. */
export async function verifyAction(
  _previous: ActionState,
  formData: FormData,
): Promise<ActionState> {
  const current = await getCurrentTransaction("second_factor");
  if (!current) redirect("/signin?error=expired");
  const { token, transaction } = current;
  const code = formData.get("code");
  const db = await getDb();
  const summary = await getMethodSummary(db, transaction.userId);
  // The choice must be one this user has; anything else is refused without a count.
  const choice = summary.findChoice(formData.get("option"), formData.get("method"));
  if (!choice || typeof code !== "string") {
    return { status: "error", message: WRONG_CODE };
  }
  const option = choice.option;
  const user = await getUserIdentity(db, transaction.userId);
  if (!user) redirect("/signin?error=expired");
  const context = await getRequestContext();
  const result = await verifySecondFactor(db, user, option, code, {
    ...context,
    purpose: transaction.purpose,
    transactionId: transaction.id,
    methodId: choice.methodId,
  });
  if (!result.ok && option === "voice") {
    return {
      status: "error",
      message: "The call was not approved. Call again, or choose another way.",
    };
  }
  if (!result.ok && option === "push") {
    return {
      status: "error",
      message: "The request was not approved. Send another request, or choose another way.",
    };
  }
  if (!result.ok && option === "passkey") {
    return {
      status: "error",
      message: result.waitSeconds
        ? `That passkey didn't work. For your security, wait ${describeWait(result.waitSeconds)} before trying again.`
        : "That passkey didn't work. Try again, or choose another way.",
    };
  }
  if (!result.ok) {
    const message =
      result.reason === "format" && !result.waitSeconds
        ? `Enter the 6-digit code from ${option === "sms" ? "the text message" : "your authenticator app"}.`
        : result.waitSeconds
          ? `${WRONG_CODE} For your security, wait ${describeWait(result.waitSeconds)} before trying again.`
          : `${WRONG_CODE} Check the code and try again.`;
    return result.reason === "format" && !result.waitSeconds
      ? { status: "error", fieldErrors: { code: [message] } }
      : { status: "error", message };
  }

  const browser = await readBrowserState();
  const stage = await recordSecondFactor(db, transaction, "second_factor", result.amr, browser);
  if (!stage) redirect("/signin?error=expired");
  if (
    transaction.purpose === "sign_in" &&
    formData.get("rememberBrowser") === "on" &&
    rememberMfaDays() > 0
  ) {
    await setRememberedMfaCookie(
      await rememberBrowser(db, transaction.userId, rememberMfaDays(), context.userAgent, {
        ip: context.ip,
        transactionId: transaction.id,
      }),
    );
  }
  if (stage === "ready") {
    const persistent =
      transaction.purpose === "step_up" ? transaction.persistent : browser.stayChoice === true;
    return finishSignIn(token, transaction.callbackPath, persistent);
  }
  redirect(STAGE_PATHS[stage]);
}

/** A way chosen under "Verify your identity": a text or call goes out now, then its page. */
export async function chooseWayAction(formData: FormData): Promise<void> {
  const current = await getCurrentTransaction("second_factor");
  if (!current) redirect("/signin?error=expired");
  const [option, methodId] = String(formData.get("choice") ?? "").split(":");
  const db = await getDb();
  const summary = await getMethodSummary(db, current.transaction.userId);
  const choice = summary.findChoice(option, methodId);
  if (!choice) redirect("/signin/verify/another-way");
  redirect(await beginSecondStep(db, current.transaction, choice, await getRequestContext()));
}

/** "Resend code" / "Call again": a new code or call for the same phone, within the limits. */
export async function resendAction(formData: FormData): Promise<void> {
  const current = await getCurrentTransaction("second_factor");
  if (!current) redirect("/signin?error=expired");
  const db = await getDb();
  const summary = await getMethodSummary(db, current.transaction.userId);
  const choice = summary.findChoice(formData.get("option"), formData.get("method"));
  if (!choice) redirect("/signin/verify");
  redirect(await beginSecondStep(db, current.transaction, choice, await getRequestContext()));
}
