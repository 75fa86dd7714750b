import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { Field } from "@/components/forms/field";
import { primaryButton } from "@/components/ui/button-styles";
import { recoveryProofLive } from "@/lib/auth/account-recovery";
import { ACCOUNT_RECOVERY_COOKIE_BASENAME, portalCookie } from "@/lib/auth/cookie-security";
import { getDb } from "@/lib/db/client";
import { answerAccountRecoveryAction } from "../actions";

export const metadata: Metadata = { title: "Verify your identity" };

// The same page whether or not a code was sent: whether the account has an alternate email old
// enough is never shown (R-A18.1).
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
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">Verify your identity</h1>
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
          errors={
            params.wrong === "1" ? ["That code didn't work. Check it and try again."] : undefined
          }
        />
        <button type="submit" className={primaryButton}>
          Verify
        </button>
      </form>
    </>
  );
}
