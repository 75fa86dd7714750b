import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { Field } from "@/components/forms/field";
import { Alert } from "@/components/ui/alert";
import { primaryButton, secondaryButton } from "@/components/ui/button-styles";
import { describeWait } from "@/lib/actions/wait-text";
import { recoveryProofLive } from "@/lib/auth/account-recovery";
import { ACCOUNT_RECOVERY_COOKIE_BASENAME, portalCookie } from "@/lib/auth/cookie-security";
import { getDb } from "@/lib/db/client";
import { answerAccountRecoveryAction, textRecoveryCodeAction } from "../actions";

export const metadata: Metadata = { title: "Verify your identity" };

// The same page whether or not a code was sent: whether the account has an alternate email or a
// former phone old enough is never shown (R-A18.1).
export default async function RecoverVerifyPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const live = await recoveryProofLive(
    await getDb(),
    await portalCookie(ACCOUNT_RECOVERY_COOKIE_BASENAME).read(),
  );
  if (!live) redirect("/recover?ended=1");
  const params = await searchParams;
  const wait = typeof params.wait === "string" ? Number.parseInt(params.wait, 10) : NaN;
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">Verify your identity</h1>
      {params.texted === "1" && (
        <div className="mb-4">
          <Alert kind="success">
            If that number was one of your sign-in methods for at least 7 days, we texted a 6-digit
            code to it. Enter it below.
          </Alert>
        </div>
      )}
      {wait > 0 && (
        <div className="mb-4">
          <Alert kind="error">
            That number has had as many texts as it may for now. Try again in {describeWait(wait)}.
          </Alert>
        </div>
      )}
      <form action={answerAccountRecoveryAction} className="space-y-4">
        <p>
          If your account has an alternate email added at least 7 days ago, we sent an 8-digit code
          to it. It expires in 10 minutes.
        </p>
        <Field
          label="Code"
          name="code"
          inputMode="numeric"
          autoComplete="one-time-code"
          maxLength={16}
          required
          autoFocus
          hint="The 8-digit code we emailed, or the 6-digit code we texted."
          errors={
            params.wrong === "1" ? ["That code didn't work. Check it and try again."] : undefined
          }
        />
        <button type="submit" className={primaryButton}>
          Verify
        </button>
      </form>
      <h2 className="mt-8 mb-2 text-lg font-semibold">No alternate email?</h2>
      <form action={textRecoveryCodeAction} className="space-y-4">
        <p>
          We can text a code to a phone number that was one of your sign-in methods for at least 7
          days, if you ticked <q>I still have this number</q> when you deleted it.
        </p>
        <Field
          label="Phone number you used before"
          name="phone"
          type="tel"
          autoComplete="tel"
          maxLength={30}
          required
          hint="With its country code if it is from abroad, for example +44 7911 123456."
          errors={
            params.phone === "invalid"
              ? ["Enter a phone number, for example +44 7911 123456."]
              : undefined
          }
        />
        <button type="submit" className={secondaryButton}>
          Text a code
        </button>
      </form>
    </>
  );
}
