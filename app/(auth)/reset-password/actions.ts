"use server";

import { redirect } from "next/navigation";
import type { ActionState } from "@/lib/actions/form-action";
import { portalCookie, PASSWORD_RESET_COOKIE_BASENAME } from "@/lib/auth/cookie-security";
import {
  answerPasswordReset,
  beginPasswordReset,
  completePasswordReset,
  getPasswordReset,
  RESET_OPTIONS,
  textResetCode,
  type ResetOption,
} from "@/lib/auth/password-reset";
import { getDb } from "@/lib/db/client";
import { getRequestContext } from "@/lib/security/request-context";
import { passwordResetMethodsNeeded } from "@/lib/settings/policy";

// The reset is referenced by a cookie of its own, never the sign-in's: nothing here signs in.
const resetCookie = portalCookie(PASSWORD_RESET_COOKIE_BASENAME);
const VERIFY = "/signin/forgot/verify";

async function currentReset() {
  const reset = await getPasswordReset(await getDb(), await resetCookie.read());
  if (!reset) redirect("/signin/forgot?ended=1");
  return reset;
}

/** "Reset your password" → "Next": a reset for this email, whoever it belongs to. */
export async function startPasswordResetAction(formData: FormData): Promise<void> {
  if (passwordResetMethodsNeeded() === 0) redirect("/signin/forgot");
  const email = formData.get("email");
  if (typeof email !== "string" || !email.includes("@")) redirect("/signin/forgot?invalid=1");
  const token = await beginPasswordReset(await getDb(), email, await getRequestContext());
  await resetCookie.write(token, 10 * 60);
  redirect(VERIFY);
}

/** "Text me a code": the same answer whether or not a phone got one. */
export async function textResetCodeAction(): Promise<void> {
  const reset = await currentReset();
  await textResetCode(await getDb(), reset, await getRequestContext());
  redirect(`${VERIFY}?sent=sms`);
}

/** "Verify": one answer for one option. */
export async function answerPasswordResetAction(formData: FormData): Promise<void> {
  const reset = await currentReset();
  const option = formData.get("option");
  if (!RESET_OPTIONS.includes(option as ResetOption)) redirect(VERIFY);
  const answer = await answerPasswordReset(
    await getDb(),
    reset,
    option as ResetOption,
    String(formData.get("code") ?? ""),
    await getRequestContext(),
  );
  if (answer.ok) redirect(answer.done ? "/signin/forgot/new-password" : VERIFY);
  if (answer.reason === "ended") {
    await resetCookie.clear();
    redirect("/signin/forgot?ended=1");
  }
  redirect(`${VERIFY}?wrong=${option}${option === "sms" ? "&sent=sms" : ""}`);
}

/** "Reset password": the new password, then back to sign in with it. */
export async function completePasswordResetAction(
  _previous: ActionState,
  formData: FormData,
): Promise<ActionState> {
  const text = (name: string) => {
    const value = formData.get(name);
    return typeof value === "string" ? value : "";
  };
  const result = await completePasswordReset(
    await getDb(),
    await resetCookie.read(),
    { newPassword: text("newPassword"), confirmPassword: text("confirmPassword") },
    await getRequestContext(),
  );
  if (!result.ok) {
    if (result.reason === "not_verified") redirect("/signin/forgot?ended=1");
    return {
      status: "error",
      fieldErrors:
        result.reason === "mismatch"
          ? { confirmPassword: [result.message] }
          : { newPassword: [result.message] },
    };
  }
  await resetCookie.clear();
  redirect("/signin?notice=password-reset");
}
