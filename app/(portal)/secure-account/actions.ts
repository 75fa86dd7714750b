"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import type { ActionState } from "@/lib/actions/form-action";
import { formText } from "@/lib/actions/form-action";
import { CASE_MESSAGE_MAX_LENGTH, createCase } from "@/lib/cases/report";
import { finishSignIn } from "@/lib/auth/next-auth";
import { changePassword } from "@/lib/auth/password-change";
import {
  finishSecuringAccount,
  getSecureAccountProgress,
  signOutEverywhereElse,
} from "@/lib/auth/secure-account";
import { requireFreshSession } from "@/lib/auth/sign-in-flow";
import { getDb } from "@/lib/db/client";
import { issueRecoveryCodes } from "@/lib/mfa/recovery-codes";
import { removeOwnMethod } from "@/lib/mfa/removal";
import { getRequestContext } from "@/lib/security/request-context";
import { parseEventId, stepPath, type Step } from "./flow";

// Every action checks, itself, the session and a second factor no older than the step-up window
// (R-A13.1, R-A9.1); ids it is given are looked up within the person's own account (R-A9.4).

/** The session, fresh, for the step the form came from; otherwise the step-up comes back here. */
async function freshSessionFor(step: Step, formData: FormData | undefined) {
  // A request not made by this page's forms may carry no form at all: it still meets the
  // session check, never an error.
  const eventId = parseEventId(formData instanceof FormData ? formData.get("event") : null);
  const session = await requireFreshSession(stepPath(step, eventId));
  return { session, eventId };
}

/** The later steps are for after the password change; before it, the flow starts again. */
async function requirePasswordChanged(
  session: Awaited<ReturnType<typeof requireFreshSession>>,
  eventId: number | null,
) {
  const progress = await getSecureAccountProgress(
    await getDb(),
    session.user.id,
    session.authenticatedAt,
  );
  if (!progress.passwordChanged) redirect(stepPath("password", eventId));
  return progress;
}

/**
 * "Change your password" → "Next". The change ends every session, this one included, in one
 * transaction with the new password (R-A13.2); this browser then gets a new session and goes on
 * to "Sign out everywhere" (docs/decisions/0006-secure-your-account.md).
 */
export async function changePasswordStepAction(
  _previous: ActionState,
  formData: FormData,
): Promise<ActionState> {
  const { session, eventId } = await freshSessionFor("password", formData);
  const next = stepPath("sign-out", eventId);
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
      via: "secure_account",
      signOutOthers: true,
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

/** "Sign out everywhere": anything signed in since the password change ends too. */
export async function signOutEverywhereStepAction(formData: FormData): Promise<void> {
  const { session, eventId } = await freshSessionFor("sign-out", formData);
  await requirePasswordChanged(session, eventId);
  const context = await getRequestContext();
  await signOutEverywhereElse(await getDb(), session.user, session.id, context);
  redirect(stepPath("review", eventId));
}

/** "Delete" on "Review your security info": one click, the last method excepted (R-A9.5). */
export async function deleteMethodStepAction(formData: FormData): Promise<void> {
  const { session, eventId } = await freshSessionFor("review", formData);
  await requirePasswordChanged(session, eventId);
  const context = await getRequestContext();
  const outcome = await removeOwnMethod(
    await getDb(),
    session.user,
    formText(formData, "methodId"),
    context,
  );
  redirect(stepPath("review", eventId, { outcome }));
}

/** "Regenerate recovery codes" on "Review your security info": shown once. */
export async function regenerateRecoveryCodesStepAction(): Promise<{
  codes?: string[];
  error?: string;
}> {
  const session = await requireFreshSession(stepPath("review", null));
  const codes = await issueRecoveryCodes(await getDb(), session.user, await getRequestContext());
  return { codes };
}

const reportSchema = z.object({
  message: z
    .string()
    .trim()
    .min(1, "Tell us what happened, or choose Skip.")
    .max(CASE_MESSAGE_MAX_LENGTH, `Keep it under ${CASE_MESSAGE_MAX_LENGTH} characters.`),
});

/** "Tell us what happened" → "Send report": a case for the helpdesk, then the summary. */
export async function sendReportAction(
  _previous: ActionState,
  formData: FormData,
): Promise<ActionState> {
  const { session, eventId } = await freshSessionFor("report", formData);
  await requirePasswordChanged(session, eventId);
  const parsed = reportSchema.safeParse({ message: formText(formData, "message") });
  const values = { message: formText(formData, "message").slice(0, CASE_MESSAGE_MAX_LENGTH) };
  if (!parsed.success) {
    return {
      status: "error",
      fieldErrors: { message: parsed.error.issues.map((i) => i.message) },
      values,
    };
  }
  const db = await getDb();
  const context = await getRequestContext();
  const created = await createCase(
    db,
    {
      userId: session.user.id,
      kind: "unrecognised_activity",
      message: parsed.data.message,
      signInEventId: eventId,
    },
    context,
  );
  if (!created.ok) {
    return {
      status: "error",
      message: `You have sent several reports today. The helpdesk has them; if it is urgent, email them instead.`,
      values,
    };
  }
  await finishSecuringAccount(db, session.user, session.authenticatedAt, context);
  redirect(stepPath("done", eventId));
}

/** "Skip": no report, straight to the summary. */
export async function skipReportAction(formData: FormData): Promise<void> {
  const { session, eventId } = await freshSessionFor("report", formData);
  await requirePasswordChanged(session, eventId);
  await finishSecuringAccount(
    await getDb(),
    session.user,
    session.authenticatedAt,
    await getRequestContext(),
  );
  redirect(stepPath("done", eventId));
}
