"use server";

import { redirect } from "next/navigation";
import type { ActionState } from "@/lib/actions/form-action";
import { readBrowserState } from "@/lib/auth/browser-cookies";
import { finishSignIn } from "@/lib/auth/next-auth";
import { AFTER_SIGN_IN_PATH } from "@/lib/settings/policy";
import { signInWithPasskey } from "@/lib/auth/passkey-sign-in";
import { STAGE_PATHS } from "@/lib/auth/sign-in";
import { setTransactionCookie } from "@/lib/auth/transaction-cookie";
import { getDb } from "@/lib/db/client";
import { beginPasswordlessPasskey, type PasskeyRequestOptions } from "@/lib/mfa/passkeys";
import { safeRedirectPath } from "@/lib/security/redirect";
import { getRequestContext } from "@/lib/security/request-context";

/** One message for every refusal: an unknown passkey, a failed check, a disabled account. */
const PASSKEY_REFUSED =
  "That passkey didn't work. Try again, or sign in with your email and password.";

/** "Sign in with a passkey": a challenge any of this site's discoverable passkeys may answer. */
export async function passwordlessOptionsAction(): Promise<
  { ok: true; options: PasskeyRequestOptions } | { ok: false; message: string }
> {
  return { ok: true, options: await beginPasswordlessPasskey(await getDb()) };
}

/** The passkey's answer: both factors at once, then "Stay signed in?" (lib/auth/passkey-sign-in.ts). */
export async function signInWithPasskeyAction(
  _previous: ActionState,
  formData: FormData,
): Promise<ActionState> {
  const response = formData.get("response");
  const callbackUrl = formData.get("callbackUrl");
  if (typeof response !== "string" || response.length === 0) {
    return { status: "error", message: PASSKEY_REFUSED };
  }
  const callbackPath = safeRedirectPath(
    typeof callbackUrl === "string" ? callbackUrl : undefined,
    AFTER_SIGN_IN_PATH,
  );
  const result = await signInWithPasskey(
    await getDb(),
    { response, callbackPath },
    await getRequestContext(),
    await readBrowserState(),
  );
  if (!result.ok) return { status: "error", message: PASSKEY_REFUSED };
  if (result.stage === "ready") {
    return finishSignIn(result.transactionToken, callbackPath, result.persistent);
  }
  await setTransactionCookie(result.transactionToken);
  redirect(STAGE_PATHS[result.stage]);
}
