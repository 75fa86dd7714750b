import type { Metadata } from "next";
import Link from "next/link";
import { Field } from "@/components/forms/field";
import { Alert } from "@/components/ui/alert";
import { primaryButton } from "@/components/ui/button-styles";
import { getEnv } from "@/lib/env";
import { accountRecoveryWaitMs } from "@/lib/settings/policy";
import { waitText } from "@/lib/actions/wait-text";
import { startAccountRecoveryAction } from "./actions";

export const metadata: Metadata = { title: "Recover your account" };

const link = "text-brand-700 underline";

export default async function RecoverPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  const { HELPDESK_EMAIL } = getEnv();
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">Recover your account</h1>
      {params.wrong === "1" && (
        <div className="mb-4">
          <Alert kind="error">Your account or password is incorrect.</Alert>
        </div>
      )}
      {params.ended === "1" && (
        <div className="mb-4">
          <Alert kind="error">This recovery has ended. Start again.</Alert>
        </div>
      )}
      <p className="mb-4">
        Lost every sign-in method? Prove your password, then a code we email to the alternate email
        you added at least 7 days ago, or text to a phone number that was one of your sign-in
        methods for at least 7 days and that you kept when you deleted it. Your sign-in methods are
        then reset after {waitText(accountRecoveryWaitMs())}, while we tell every address and phone
        on your account, so that you can cancel if it wasn&apos;t you.
      </p>
      <form action={startAccountRecoveryAction} className="space-y-4">
        <Field
          label="Email"
          name="email"
          type="email"
          autoComplete="username"
          required
          maxLength={320}
        />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
        />
        <button type="submit" className={primaryButton}>
          Next
        </button>
      </form>
      <p className="mt-6 text-sm">
        Neither of those, or don&apos;t know your password? Contact the helpdesk at{" "}
        <a className={link} href={`mailto:${HELPDESK_EMAIL}`}>
          {HELPDESK_EMAIL}
        </a>
        .
      </p>
      <p className="mt-4">
        <Link href="/signin" className={link}>
          Back to sign in
        </Link>
      </p>
    </>
  );
}
