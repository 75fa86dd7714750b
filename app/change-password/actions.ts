"use server";

import { redirect } from "next/navigation";
import type { ActionState } from "@/lib/actions/form-action";
import { finishSignIn } from "@/lib/auth/next-auth";
import { changePassword } from "@/lib/auth/password-change";
import { requireFreshSession } from "@/lib/auth/sign-in-flow";
import { getDb } from "@/lib/db/client";
import { nextPath } from "./next-path";
import { getRequestContext } from "@/lib/security/request-context";

// A request not made by this page's form may carry no form at all: it still meets the session
// check, never an error.
const text = (formData: FormData | undefined, name: string) => {
  const value = formData instanceof FormData ? formData.get(name) : null;
  return typeof value === "string" ? value : "";
};

/**
 * "Update your password" → "Next": the same change as "Secure your account", with the option
 * (on by default) to sign out everywhere else (R-A2.7, R-A12.8). This browser gets a new session.
 */
export async function updatePasswordAction(
  _previous: ActionState,
  formData: FormData,
): Promise<ActionState> {
  const next = nextPath(text(formData, "next"));
  const session = await requireFreshSession(`/change-password?next=${encodeURIComponent(next)}`);
  const result = await changePassword(
    await getDb(),
    session.user.id,
    {
      currentPassword: text(formData, "currentPassword"),
      newPassword: text(formData, "newPassword"),
      confirmPassword: text(formData, "confirmPassword"),
    },
    await getRequestContext(),
    {
      via: "required_change",
      signOutOthers: text(formData, "signOutOthers") === "on",
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
