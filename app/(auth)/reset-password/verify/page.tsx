import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { Field } from "@/components/forms/field";
import { Alert } from "@/components/ui/alert";
import { describeWait } from "@/lib/actions/wait-text";
import { primaryButton, secondaryButton } from "@/components/ui/button-styles";
import { PASSWORD_RESET_COOKIE_BASENAME, portalCookie } from "@/lib/auth/cookie-security";
import { getPasswordReset, resetOptionsLeft, type ResetOption } from "@/lib/auth/password-reset";
import { getDb } from "@/lib/db/client";
import { getEnv } from "@/lib/env";
import {
  answerPasswordResetAction,
  sendPasswordResetEmailCodeAction,
  sendPasswordResetTextCodeAction,
} from "../actions";

export const metadata: Metadata = { title: "Verify your identity" };

/** As the sign-in step names them; a phone's masked number is not shown (see below). */
const CHOICES: Record<ResetOption, { button: string; instructions: string }> = {
  code: {
    button: "Use a verification code",
    instructions: "Enter the code displayed in your authenticator app or on your hardware token.",
  },
  "recovery-code": {
    button: "Use a recovery code",
    instructions: "Enter one of the recovery codes you saved. Each code works once.",
  },
  email: {
    button: "Email a code to my alternate email",
    instructions:
      "If your account has a verified alternate email, we sent an 8-digit code to it. It expires in 10 minutes.",
  },
  sms: {
    button: "Text a code to my phone",
    instructions:
      "If your account has a mobile phone that takes texts, we texted a 6-digit code to it. It expires in 10 minutes.",
  },
};

/** What sends a code when chosen; the others only show the code field. */
const SENDS: Partial<Record<ResetOption, () => Promise<void>>> = {
  email: sendPasswordResetEmailCodeAction,
  sms: sendPasswordResetTextCodeAction,
};

// The page is the same for every email typed: the choices are the same for everyone, so which
// methods an account has — or whether it exists — is never shown.
export default async function ResetVerifyPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const reset = await getPasswordReset(
    await getDb(),
    await portalCookie(PASSWORD_RESET_COOKIE_BASENAME).read(),
  );
  if (!reset) redirect("/reset-password?ended=1");
  const params = await searchParams;
  const { HELPDESK_EMAIL } = getEnv();
  const left = resetOptionsLeft(reset);
  const chosen = left.find((option) => option === params.with);
  const wait = typeof params.wait === "string" ? Number.parseInt(params.wait, 10) : NaN;
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">Verify your identity</h1>
      <p className="mb-4">
        {reset.needed === 2
          ? `Prove it is you with two different methods: ${reset.verified.length} of 2 done.`
          : "Prove it is you with one of your sign-in methods."}
      </p>
      {chosen ? (
        <form action={answerPasswordResetAction} className="space-y-4">
          <input type="hidden" name="with" value={chosen} />
          {chosen === "sms" && wait > 0 ? (
            <Alert kind="error">
              Your phone has had as many texts as it may for now. Try again in {describeWait(wait)},
              or use another method.
            </Alert>
          ) : (
            <p>{CHOICES[chosen].instructions}</p>
          )}
          <Field
            label="Code"
            name="code"
            autoComplete="one-time-code"
            maxLength={64}
            required
            autoFocus
            errors={
              params.wrong === "1" ? ["That code didn't work. Check it and try again."] : undefined
            }
          />
          <div className="flex flex-wrap items-center gap-4">
            <button type="submit" className={primaryButton}>
              Verify
            </button>
            <Link href="/reset-password/verify" className="text-brand-700 underline">
              Use another method
            </Link>
          </div>
        </form>
      ) : (
        <form action="/reset-password/verify" method="get" className="flex flex-col gap-3">
          {left.map((option) => (
            <button
              key={option}
              type="submit"
              name="with"
              value={option}
              formAction={SENDS[option]}
              className={secondaryButton}
            >
              {CHOICES[option].button}
            </button>
          ))}
        </form>
      )}
      <p className="mt-6 text-sm">
        Can&apos;t use {reset.needed === 2 ? "two of these" : "any of these"}? Contact the helpdesk
        at{" "}
        <a className="text-brand-700 underline" href={`mailto:${HELPDESK_EMAIL}`}>
          {HELPDESK_EMAIL}
        </a>
        , or read{" "}
        <Link href="/help#forgot-password" className="text-brand-700 underline">
          I forgot my password
        </Link>
        .
      </p>
    </>
  );
}
