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
  RESET_TTL_MS,
  resetOptionsLeft,
  sendPasswordResetEmailCode,
  sendPasswordResetTextCode,
  type ResetOption,
} from "@/lib/auth/password-reset";
import { getDb } from "@/lib/db/client";
import { getRequestContext } from "@/lib/security/request-context";
import { passwordResetMethodsNeeded } from "@/lib/settings/policy";

// The reset is referenced by a cookie of its own, never the sign-in's: nothing here signs in.
const resetCookie = portalCookie(PASSWORD_RESET_COOKIE_BASENAME);
const HERE = "/reset-password";
const VERIFY = `${HERE}/verify`;

/** "Get back into your account" → "Next": a reset for this email, whoever it belongs to. */
export async function startPasswordResetAction(formData: FormData): Promise<void> {
  if (passwordResetMethodsNeeded() === 0) redirect(HERE);
  const email = formData.get("email");
  if (typeof email !== "string" || !email.includes("@")) redirect(`${HERE}?invalid=1`);
  const token = await beginPasswordReset(await getDb(), email, await getRequestContext());
  await resetCookie.write(token, RESET_TTL_MS / 1000);
  redirect(VERIFY);
}

/** "Email a code to my alternate email": sends one if the account has one; the page says "if". */
export async function sendPasswordResetEmailCodeAction(): Promise<void> {
  const reset = await getPasswordReset(await getDb(), await resetCookie.read());
  if (!reset) redirect(`${HERE}?ended=1`);
  await sendPasswordResetEmailCode(await getDb(), reset, await getRequestContext());
  redirect(`${VERIFY}?with=email`);
}

/** "Text a code to my phone", once another method has passed: within the phone's limits. */
export async function sendPasswordResetTextCodeAction(): Promise<void> {
  const reset = await getPasswordReset(await getDb(), await resetCookie.read());
  if (!reset) redirect(`${HERE}?ended=1`);
  if (!resetOptionsLeft(reset).includes("sms")) redirect(VERIFY);
  const sent = await sendPasswordResetTextCode(await getDb(), reset, await getRequestContext());
  redirect(`${VERIFY}?with=sms${sent.ok ? "" : `&wait=${sent.retryAfterSeconds}`}`);
}

/** "Verify": one code for the chosen method. */
export async function answerPasswordResetAction(formData: FormData): Promise<void> {
  const reset = await getPasswordReset(await getDb(), await resetCookie.read());
  if (!reset) redirect(`${HERE}?ended=1`);
  const option = formData.get("with");
  if (!RESET_OPTIONS.includes(option as ResetOption)) redirect(VERIFY);

  const answer = await answerPasswordReset(
    await getDb(),
    reset,
    option as ResetOption,
    String(formData.get("code") ?? ""),
    await getRequestContext(),
  );
  if (answer.ok) redirect(answer.done ? `${HERE}/new` : VERIFY);
  if (answer.reason === "ended") {
    await resetCookie.clear();
    redirect(`${HERE}?ended=1`);
  }
  redirect(`${VERIFY}?with=${option}&wrong=1`);
}

/** "Finish": the new password; then the person signs in with it as always. */
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
    if (result.reason === "not_verified") redirect(`${HERE}?ended=1`);
    return {
      status: "error",
      fieldErrors:
        result.reason === "mismatch"
          ? { confirmPassword: [result.message] }
          : { newPassword: [result.message] },
    };
  }
  await resetCookie.clear();
  redirect(`${HERE}/done`);
}
