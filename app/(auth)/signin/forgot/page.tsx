import type { Metadata } from "next";
import Link from "next/link";
import { getEnv } from "@/lib/env";

export const metadata: Metadata = { title: "Forgot your password" };

export default function ForgotPasswordPage() {
  const { HELPDESK_EMAIL } = getEnv();
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">Forgot your password?</h1>
      <p className="mb-4">
        Contact the helpdesk at{" "}
        <a className="text-brand-700 underline" href={`mailto:${HELPDESK_EMAIL}`}>
          {HELPDESK_EMAIL}
        </a>
        . After checking who you are, they can set a temporary password that you change when you
        next sign in.
      </p>
      <p>
        <Link href="/signin" className="text-brand-700 underline">
          Back to sign in
        </Link>
      </p>
    </>
  );
}
