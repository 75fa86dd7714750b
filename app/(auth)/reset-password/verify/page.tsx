import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { Field } from "@/components/forms/field";
import { Alert } from "@/components/ui/alert";
import { primaryButton, secondaryButton } from "@/components/ui/button-styles";
import { PASSWORD_RESET_COOKIE_BASENAME, portalCookie } from "@/lib/auth/cookie-security";
import { getPasswordReset } from "@/lib/auth/password-reset";
import { getDb } from "@/lib/db/client";
import { getEnv } from "@/lib/env";
import { answerPasswordResetAction, textResetCodeAction } from "../actions";

export const metadata: Metadata = { title: "Verify your identity" };

// The page is the same for every email typed: which methods an account has is never shown.
export default async function ResetVerifyPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const reset = await getPasswordReset(
    await getDb(),
    await portalCookie(PASSWORD_RESET_COOKIE_BASENAME).read(),
  );
  if (!reset) redirect("/signin/forgot?ended=1");
  const params = await searchParams;
  const { HELPDESK_EMAIL } = getEnv();
  const done = new Set(reset.verified);
  const wrong = params.wrong === "code" || params.wrong === "sms" ? params.wrong : null;
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">Verify your identity</h1>
      <p className="mb-4">
        {reset.needed === 2
          ? `Prove it is you with two different methods (${done.size} of 2 done).`
          : "Prove it is you with one of your sign-in methods."}
      </p>
      {wrong && (
        <div className="mb-4">
          <Alert kind="error">That code didn&apos;t work. Check it and try again.</Alert>
        </div>
      )}
      <div className="space-y-6">
        <section aria-labelledby="reset-app" className="space-y-3">
          <h2 id="reset-app" className="text-lg font-semibold">
            Authenticator app or hardware token
          </h2>
          {done.has("code") ? (
            <p>Verified.</p>
          ) : (
            <form action={answerPasswordResetAction} className="space-y-3">
              <input type="hidden" name="option" value="code" />
              <Field
                label="Code from the app"
                name="code"
                inputMode="numeric"
                autoComplete="one-time-code"
                maxLength={12}
              />
              <button type="submit" className={primaryButton}>
                Verify code
              </button>
            </form>
          )}
        </section>
        <section aria-labelledby="reset-text" className="space-y-3">
          <h2 id="reset-text" className="text-lg font-semibold">
            Text message
          </h2>
          {done.has("sms") ? (
            <p>Verified.</p>
          ) : params.sent === "sms" ? (
            <>
              <p role="status">
                If your account has a phone that takes texts, we texted a code to it.
              </p>
              <form action={answerPasswordResetAction} className="space-y-3">
                <input type="hidden" name="option" value="sms" />
                <Field
                  label="Code from the text"
                  name="code"
                  inputMode="numeric"
                  autoComplete="one-time-code"
                  maxLength={12}
                />
                <button type="submit" className={primaryButton}>
                  Verify texted code
                </button>
              </form>
              <form action={textResetCodeAction}>
                <button type="submit" className={secondaryButton}>
                  Text me a new code
                </button>
              </form>
            </>
          ) : (
            <form action={textResetCodeAction}>
              <button type="submit" className={secondaryButton}>
                Text me a code
              </button>
            </form>
          )}
        </section>
      </div>
      <p className="mt-6 text-sm">
        Can&apos;t use {reset.needed === 2 ? "two of these" : "any of these"}? Contact the helpdesk
        at{" "}
        <a className="text-brand-700 underline" href={`mailto:${HELPDESK_EMAIL}`}>
          {HELPDESK_EMAIL}
        </a>
        .
      </p>
    </>
  );
}
