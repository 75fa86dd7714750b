import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getCurrentSession } from "@/lib/auth/current";
import { AFTER_SIGN_IN_PATH } from "@/lib/settings/policy";
import { safeRedirectPath } from "@/lib/security/redirect";
import { PasskeyForm } from "@/components/mfa/passkey-form";
import { passwordlessOptionsAction, signInWithPasskeyAction } from "./passkey-actions";
import { SignInForm } from "./sign-in-form";

export const metadata: Metadata = { title: "Sign in" };

const NOTICES: Record<string, string> = {
  expired: "Your sign-in took too long. Please sign in again.",
  "signed-out": "You have signed out.",
};

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  const callbackUrl = safeRedirectPath(params.callbackUrl, AFTER_SIGN_IN_PATH);
  // ?reauth=1 asks a signed-in person for their password again before a security change.
  if (params.reauth !== "1" && (await getCurrentSession())) redirect(callbackUrl);
  const notice =
    typeof params.error === "string"
      ? NOTICES[params.error]
      : typeof params.notice === "string"
        ? NOTICES[params.notice]
        : undefined;
  return (
    <>
      <h1 className="mb-6 text-2xl font-semibold">Sign in</h1>
      <SignInForm callbackUrl={callbackUrl} notice={notice} />
      <div className="mt-6 border-t border-slate-200 pt-6">
        <PasskeyForm
          ceremony={{ kind: "sign", prepare: passwordlessOptionsAction }}
          action={signInWithPasskeyAction}
          answerName="response"
          fields={{ callbackUrl }}
          buttonLabel="Sign in with a passkey"
          pendingLabel="Waiting for your passkey…"
          variant="secondary"
        />
      </div>
    </>
  );
}
