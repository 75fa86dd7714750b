"use server";

import { redirect } from "next/navigation";
import type { ActionState } from "@/lib/actions/form-action";
import { formText } from "@/lib/actions/form-action";
import { finishSignIn } from "@/lib/auth/next-auth";
import { changePassword } from "@/lib/auth/password-change";
import { requireFreshSession } from "@/lib/auth/sign-in-flow";
import { getDb } from "@/lib/db/client";
import { nextPath } from "./next-path";
import { getRequestContext } from "@/lib/security/request-context";

/**
 * "Update your password" → "Next": the same change as "Secure your account", with the option
 * (on by default) to sign out everywhere else (R-A2.7, R-A12.8). This browser gets a new session.
 */
export async function updatePasswordAction(
  _previous: ActionState,
  formData: FormData,
): Promise<ActionState> {
  const next = nextPath(formText(formData, "next"));
  const session = await requireFreshSession(`/change-password?next=${encodeURIComponent(next)}`);
  const result = await changePassword(
    await getDb(),
    session.user.id,
    {
      currentPassword: formText(formData, "currentPassword"),
      newPassword: formText(formData, "newPassword"),
      confirmPassword: formText(formData, "confirmPassword"),
    },
    await getRequestContext(),
    {
      via: "required_change",
      signOutOthers: formText(formData, "signOutOthers") === "on",
      session,
      callbackPath: next,
    },
  );
  if (!result.ok) {
    if (result.signedOut) redirect("/signin");
    const fieldErrors = Object.fromEntries(
      Object.entries(result.fieldErrors).map(([name, message]) => [name, [message]]),
    );
    return { status: "error", fieldErrors };
  }
  return finishSignIn(result.signInToken, next, result.persistent);
}
