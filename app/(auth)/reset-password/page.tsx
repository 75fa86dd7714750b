import type { Metadata } from "next";
import Link from "next/link";
import { Field } from "@/components/forms/field";
import { Alert } from "@/components/ui/alert";
import { primaryButton } from "@/components/ui/button-styles";
import { getEnv } from "@/lib/env";
import { passwordResetMethodsNeeded } from "@/lib/settings/policy";
import { startPasswordResetAction } from "./actions";

export const metadata: Metadata = { title: "Get back into your account" };

const link = "text-brand-700 underline";

export default async function ResetPasswordPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { HELPDESK_EMAIL } = getEnv();
  const params = await searchParams;
  const needed = passwordResetMethodsNeeded();
  const helpdesk = (
    <a className={link} href={`mailto:${HELPDESK_EMAIL}`}>
      {HELPDESK_EMAIL}
    </a>
  );
  if (needed === 0) {
    return (
      <>
        <h1 className="mb-4 text-2xl font-semibold">Forgot your password?</h1>
        <p className="mb-4">
          Contact the helpdesk at {helpdesk}. After checking who you are, they can set a temporary
          password that you change when you next sign in.
        </p>
        <p>
          <Link href="/signin" className={link}>
            Back to sign in
          </Link>
        </p>
      </>
    );
  }
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">Get back into your account</h1>
      {params.ended === "1" && (
        <div className="mb-4">
          <Alert kind="error">This reset has ended. Start again.</Alert>
        </div>
      )}
      <p className="mb-4">
        Enter the email you sign in with. Then prove it is you with{" "}
        {needed === 2
          ? "two of these: a code from your authenticator app or hardware token, one of your recovery codes, a code emailed to your alternate email, or a code texted to your phone (only as the second)"
          : "a code from your authenticator app or hardware token, one of your recovery codes, or a code emailed to your alternate email"}
        , and choose a new password.
      </p>
      <form action={startPasswordResetAction} className="space-y-4">
        <Field
          label="Email"
          name="email"
          type="email"
          autoComplete="username"
          required
          maxLength={320}
          errors={params.invalid === "1" ? ["Enter the email you sign in with."] : undefined}
        />
        <button type="submit" className={primaryButton}>
          Next
        </button>
      </form>
      <p className="mt-6 text-sm">
        Don&apos;t have {needed === 2 ? "two" : "any"} of these, or lost your phone? A text alone or
        a call can&apos;t reset a password. Contact the helpdesk at {helpdesk}; they can set a
        temporary password once they know it is you. See also{" "}
        <Link href="/help#forgot-password" className={link}>
          I forgot my password
        </Link>
        .
      </p>
      <p className="mt-4 text-sm">
        Lost every sign-in method but know your password?{" "}
        <Link href="/recover" className={link}>
          Recover your account
        </Link>
      </p>
      <p className="mt-4">
        <Link href="/signin" className={link}>
          Back to sign in
        </Link>
      </p>
    </>
  );
}
