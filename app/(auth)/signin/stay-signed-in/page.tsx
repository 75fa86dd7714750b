import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { SubmitButton } from "@/components/forms/submit-button";
import { getSignInTransaction } from "@/lib/auth/sign-in-transaction";
import { readTransactionCookie } from "@/lib/auth/transaction-cookie";
import { getDb } from "@/lib/db/client";
import { staySignedInAction } from "./actions";

export const metadata: Metadata = { title: "Stay signed in?" };

export default async function StaySignedInPage() {
  const token = await readTransactionCookie();
  const transaction = await getSignInTransaction(await getDb(), token);
  if (transaction?.stage !== "stay_signed_in") redirect("/signin");
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">Stay signed in?</h1>
      <p className="mb-6">
        Do this to reduce the number of times you are asked to sign in on this browser. Choose No on
        a shared or public computer.
      </p>
      <form action={staySignedInAction} className="space-y-6">
        <div className="flex items-center gap-2">
          <input id="dont-show-again" name="dontShowAgain" type="checkbox" className="h-5 w-5" />
          <label htmlFor="dont-show-again">Don&apos;t show this again</label>
        </div>
        <div className="flex justify-end gap-3">
          <SubmitButton name="answer" value="no" variant="secondary" pendingLabel="No">
            No
          </SubmitButton>
          <SubmitButton name="answer" value="yes" pendingLabel="Yes">
            Yes
          </SubmitButton>
        </div>
      </form>
    </>
  );
}
