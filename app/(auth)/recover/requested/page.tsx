import type { Metadata } from "next";
import Link from "next/link";
import { accountRecoveryWaitMs } from "@/lib/settings/policy";
import { waitText } from "@/lib/actions/wait-text";

export const metadata: Metadata = { title: "Recovery requested" };

/**
 * The end of the proofs: what happens next. No one is signed in here, so the page says the
 * waiting period rather than a time read from its address, which anyone could write into a link;
 * the messages sent to every channel carry the exact time.
 */
export default function RecoveryRequestedPage() {
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">Recovery requested</h1>
      <p className="mb-4">
        Your sign-in methods can be reset {waitText(accountRecoveryWaitMs())} after your request.
        Then sign in with your password: you will go straight to setting up a new method, and your
        old methods will be removed.
      </p>
      <p className="mb-4">
        Until then, we have told every address and phone on your account, each with a link to
        cancel. Signing in with one of your old methods cancels the request too.
      </p>
      <Link href="/signin" className="text-brand-700 underline">
        Back to sign in
      </Link>
    </>
  );
}
