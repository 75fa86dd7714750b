"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { fieldErrorsFrom, type ActionState } from "@/lib/actions/form-action";
import { readBrowserState } from "@/lib/auth/browser-cookies";
import { finishSignIn } from "@/lib/auth/next-auth";
import { PASSWORD_MAX_LENGTH } from "@/lib/security/password";
import { startPhoneSignIn } from "@/lib/auth/phone-sign-in";
import { startDefaultSecondStep } from "@/lib/auth/second-step";
import { verifyPasswordStep } from "@/lib/auth/password-step";
import { STAGE_PATHS, type PasswordStepNotice } from "@/lib/auth/sign-in";
import { setTransactionCookie } from "@/lib/auth/transaction-cookie";
import { getDb } from "@/lib/db/client";
import { AFTER_SIGN_IN_PATH } from "@/lib/settings/policy";
import { safeRedirectPath } from "@/lib/security/redirect";
import { getRequestContext } from "@/lib/security/request-context";
import { setPhoneTicketCookie } from "./phone/ticket-cookie";

/** The one message for unknown account, wrong password, disabled or locked (R-A18.1, R-A11.5). */
const SIGN_IN_FAILED = "Your account or password is incorrect.";

/** What else a refused password step may say: an outage to anyone, a hold to its owner only. */
const NOTICES: Record<PasswordStepNotice, string> = {
  unavailable: "We can't check your password right now. Please try again in a few minutes.",
  password_expired:
    "Your password has expired. Change it with your organisation's password service, or ask the helpdesk to reset it.",
  password_must_change:
    "You need to change your password before you can sign in. Change it with your organisation's password service, or ask the helpdesk.",
  directory_disabled:
    "Your account is disabled. Contact the helpdesk if you think it shouldn't be.",
  not_provisionable: "Your account can't be used here yet. Contact the helpdesk.",
};

// Exactly one string per field: arrays and objects never reach the verifier (R-A11.7, R-A17.3).
const passwordStepSchema = z.object({
  email: z
    .string()
    .trim()
    .min(1, "Enter your email address.")
    .max(320, "That email address is too long."),
  password: z
    .string()
    .min(1, "Enter your password.")
    .max(PASSWORD_MAX_LENGTH * 4, `Passwords are at most ${PASSWORD_MAX_LENGTH} characters.`),
  callbackUrl: z.string().max(2048).optional(),
});

const phoneStepSchema = passwordStepSchema.pick({ email: true, callbackUrl: true });

/** The password step of sign-in, or "Approve a request on my Authenticator app" instead. */
export async function signInAction(
  _previous: ActionState,
  formData: FormData,
): Promise<ActionState> {
  if (formData.get("intent") === "phone") return phoneSignIn(formData);
  const parsed = passwordStepSchema.safeParse({
    email: formData.get("email"),
    password: formData.get("password"),
    callbackUrl: formData.get("callbackUrl") ?? undefined,
  });
  const values = { email: String(formData.get("email") ?? "").slice(0, 320) };
  if (!parsed.success) {
    return { status: "error", fieldErrors: fieldErrorsFrom(parsed.error.issues), values };
  }
  const callbackPath = safeRedirectPath(parsed.data.callbackUrl, AFTER_SIGN_IN_PATH);
  const result = await verifyPasswordStep(
    await getDb(),
    { email: parsed.data.email, password: parsed.data.password, callbackPath },
    await getRequestContext(),
    await readBrowserState(),
  );
  if (!result.ok) {
    const message = result.notice ? NOTICES[result.notice] : SIGN_IN_FAILED;
    return { status: "error", message, values };
  }

  if (result.stage === "ready") {
    return finishSignIn(result.transactionToken, callbackPath, result.persistent);
  }
  await setTransactionCookie(result.transactionToken);
  if (result.stage === "second_factor") {
    redirect(await startDefaultSecondStep(result.transactionToken, await getRequestContext()));
  }
  redirect(STAGE_PATHS[result.stage]);
}

/**
 * Phone sign-in with only the email: every email gets the same waiting page (R-A18.1); a request
 * reaches a phone only when the account turned phone sign-in on (lib/auth/phone-sign-in.ts).
 */
async function phoneSignIn(formData: FormData): Promise<ActionState> {
  const parsed = phoneStepSchema.safeParse({
    email: formData.get("email"),
    callbackUrl: formData.get("callbackUrl") ?? undefined,
  });
  if (!parsed.success) {
    const values = { email: String(formData.get("email") ?? "").slice(0, 320) };
    return { status: "error", fieldErrors: fieldErrorsFrom(parsed.error.issues), values };
  }
  const ticket = await startPhoneSignIn(
    await getDb(),
    {
      email: parsed.data.email,
      callbackPath: safeRedirectPath(parsed.data.callbackUrl, AFTER_SIGN_IN_PATH),
    },
    await getRequestContext(),
  );
  await setPhoneTicketCookie(ticket);
  redirect("/signin/phone");
}
