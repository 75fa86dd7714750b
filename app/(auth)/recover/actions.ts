"use server";

import { redirect } from "next/navigation";
import { formText } from "@/lib/actions/form-action";
import {
  answerAccountRecovery,
  cancelAccountRecovery,
  RECOVERY_PROOF_TTL_MS,
  startAccountRecovery,
  textRecoveryCode,
} from "@/lib/auth/account-recovery";
import { ACCOUNT_RECOVERY_COOKIE_BASENAME, portalCookie } from "@/lib/auth/cookie-security";
import { getDb } from "@/lib/db/client";
import { getRequestContext } from "@/lib/security/request-context";

// A recovery is referenced by a cookie of its own: nothing here signs anyone in.
const recoveryCookie = portalCookie(ACCOUNT_RECOVERY_COOKIE_BASENAME);
const HERE = "/recover";

/** "Recover your account" → "Next": the password, through the password gate. */
export async function startAccountRecoveryAction(formData: FormData): Promise<void> {
  const started = await startAccountRecovery(
    await getDb(),
    { email: formText(formData, "email"), password: formText(formData, "password") },
    await getRequestContext(),
  );
  if (!started.ok) redirect(`${HERE}?wrong=1`);
  await recoveryCookie.write(started.token, RECOVERY_PROOF_TTL_MS / 1000);
  redirect(`${HERE}/verify`);
}

/**
 * "Verify": the code emailed to the alternate email or texted to a former number; right, the
 * waiting period starts.
 */
export async function answerAccountRecoveryAction(formData: FormData): Promise<void> {
  const answer = await answerAccountRecovery(
    await getDb(),
    await recoveryCookie.read(),
    formText(formData, "code"),
    await getRequestContext(),
  );
  if (!answer.ok) {
    if (answer.reason === "ended") {
      await recoveryCookie.clear();
      redirect(`${HERE}?ended=1`);
    }
    redirect(`${HERE}/verify?wrong=1`);
  }
  await recoveryCookie.clear();
  redirect(`${HERE}/requested`);
}

/** "Text a code": to a number the person typed, when it was one of their phones (see the page). */
export async function textRecoveryCodeAction(formData: FormData): Promise<void> {
  const sent = await textRecoveryCode(
    await getDb(),
    await recoveryCookie.read(),
    formText(formData, "phone"),
    await getRequestContext(),
  );
  if (sent.ok) redirect(`${HERE}/verify?texted=1`);
  if (sent.reason === "ended") {
    await recoveryCookie.clear();
    redirect(`${HERE}?ended=1`);
  }
  redirect(
    sent.reason === "limit"
      ? `${HERE}/verify?wait=${sent.retryAfterSeconds}`
      : `${HERE}/verify?phone=invalid`,
  );
}

/** "Cancel recovery": the token from the link, and nothing else. */
export async function cancelAccountRecoveryAction(formData: FormData): Promise<void> {
  const cancelled = await cancelAccountRecovery(
    await getDb(),
    formText(formData, "token"),
    await getRequestContext(),
  );
  redirect(`${HERE}/cancel?${cancelled ? "done" : "gone"}=1`);
}
