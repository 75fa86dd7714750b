import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { SubmitButton } from "@/components/forms/submit-button";
import { PushWaiter } from "@/components/mfa/push-waiter";
import { getPhoneSignInWait } from "@/lib/auth/phone-sign-in";
import { getDb } from "@/lib/db/client";
import { finishPhoneSignInAction, resendPhoneSignInAction } from "./actions";
import { readPhoneTicketCookie } from "./ticket-cookie";

export const metadata: Metadata = { title: "Approve sign in request" };

/**
 * Phone sign-in's waiting page: the same for every email (R-A18.1). It shows the number to type
 * in the Authenticator app and moves on by itself once the phone approves.
 */
export default async function PhoneSignInPage() {
  const wait = await getPhoneSignInWait(await getDb(), await readPhoneTicketCookie());
  if (!wait) redirect("/signin?error=expired");
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">Approve sign in request</h1>
      <p className="mb-6 text-slate-700">
        Open the Authenticator app on your phone and enter the number shown to sign in. If phone
        sign-in is on for your account, the request arrives in a few seconds; if it doesn&apos;t,
        choose &ldquo;Check for notifications&rdquo; in the app.
      </p>
      <PushWaiter
        key={wait.requestId}
        number={wait.number}
        statusUrl={`/signin/phone/status?request=${wait.requestId}`}
        finishAction={finishPhoneSignInAction}
        fields={{ request: wait.requestId }}
      />
      <form action={resendPhoneSignInAction} className="mt-4">
        <SubmitButton variant="secondary" pendingLabel="Sending…">
          Send another request
        </SubmitButton>
      </form>
      <p className="mt-6">
        <Link href="/signin" className="text-brand-700 underline">
          Sign in with your password instead
        </Link>
      </p>
    </>
  );
}
