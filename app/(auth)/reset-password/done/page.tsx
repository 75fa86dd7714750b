import type { Metadata } from "next";
import Link from "next/link";
import { primaryButton } from "@/components/ui/button-styles";

export const metadata: Metadata = { title: "Your password was reset" };

/** The end of a reset: nothing is signed in here, the person signs in as always. */
export default function PasswordResetDonePage() {
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">Your password was reset</h1>
      <p className="mb-4">
        Every browser and device that was signed in to your account has been signed out. Sign in
        with your new password and your sign-in method.
      </p>
      <Link href="/signin" className={primaryButton}>
        Sign in
      </Link>
    </>
  );
}
