"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { fieldErrorsFrom, type ActionState } from "@/lib/actions/form-action";
import { signInWithAccessPass } from "@/lib/admin/access-pass";
import { AFTER_SIGN_IN_PATH } from "@/lib/settings/policy";
import { setTransactionCookie } from "@/lib/auth/transaction-cookie";
import { getDb } from "@/lib/db/client";
import { safeRedirectPath } from "@/lib/security/redirect";
import { getRequestContext } from "@/lib/security/request-context";

/** One message for unknown account, wrong, expired or used pass, disabled or paused (R-A18.1). */
const PASS_REFUSED = "Your account or Temporary Access Pass is incorrect.";

// Exactly one string per field (R-A11.7, R-A17.3).
const accessPassSchema = z.object({
  email: z
    .string()
    .trim()
    .min(1, "Enter your email address.")
    .max(320, "That email address is too long."),
  pass: z
    .string()
    .trim()
    .min(1, "Enter your Temporary Access Pass.")
    .max(100, "That is longer than a Temporary Access Pass."),
  callbackUrl: z.string().max(2048).optional(),
});

/** "Use a Temporary Access Pass": a right pass goes straight to the registration wizard. */
export async function signInWithAccessPassAction(
  _previous: ActionState,
  formData: FormData,
): Promise<ActionState> {
  const parsed = accessPassSchema.safeParse({
    email: formData.get("email"),
    pass: formData.get("pass"),
    callbackUrl: formData.get("callbackUrl") ?? undefined,
  });
  const values = { email: String(formData.get("email") ?? "").slice(0, 320) };
  if (!parsed.success) {
    return { status: "error", fieldErrors: fieldErrorsFrom(parsed.error.issues), values };
  }
  const result = await signInWithAccessPass(
    await getDb(),
    {
      email: parsed.data.email,
      pass: parsed.data.pass,
      callbackPath: safeRedirectPath(parsed.data.callbackUrl, AFTER_SIGN_IN_PATH),
    },
    await getRequestContext(),
  );
  if (!result.ok) return { status: "error", message: PASS_REFUSED, values };
  await setTransactionCookie(result.transactionToken);
  redirect("/register");
}
