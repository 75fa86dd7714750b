import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { PASSWORD_RESET_COOKIE_BASENAME, portalCookie } from "@/lib/auth/cookie-security";
import { getPasswordReset } from "@/lib/auth/password-reset";
import { PASSWORD_MIN_LENGTH } from "@/lib/auth/password-policy";
import { getDb } from "@/lib/db/client";
import { ResetPasswordForm } from "./reset-password-form";

export const metadata: Metadata = { title: "Choose a new password" };

export default async function NewPasswordPage() {
  const reset = await getPasswordReset(
    await getDb(),
    await portalCookie(PASSWORD_RESET_COOKIE_BASENAME).read(),
  );
  if (!reset) redirect("/reset-password?ended=1");
  if (new Set(reset.verified).size < reset.needed) redirect("/reset-password/verify");
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">Choose a new password</h1>
      <p className="mb-4">
        Every browser and device signed in to your account will be signed out. Then sign in with the
        new password and your sign-in method as usual.
      </p>
      <ResetPasswordForm
        hint={`At least ${PASSWORD_MIN_LENGTH} characters. A phrase of a few words is easy to remember.`}
      />
    </>
  );
}
