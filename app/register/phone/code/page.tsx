import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { BackButton } from "@/components/forms/back-button";
import { Alert } from "@/components/ui/alert";
import { getRegistrant } from "@/lib/auth/registrant";
import { getDb } from "@/lib/db/client";
import { getPendingPhone } from "@/lib/mfa/phone";
import { getLiveTextChallenge, getPhoneSendWait } from "@/lib/mfa/phone-challenges";
import { enrolmentBinding } from "@/lib/mfa/phone-enrolment";
import { maskPhone } from "@/lib/mfa/phone-numbers";
import { CodeForm } from "../../code-form";
import { confirmPhoneCodeAction } from "../actions";
import { ResendForm } from "../resend-form";

export const metadata: Metadata = { title: "Enter code" };

export default async function PhoneCodePage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const registrant = await getRegistrant();
  if (!registrant) redirect("/signin");
  const db = await getDb();
  const pending = await getPendingPhone(db, registrant.user.id, registrant.bindingId);
  if (!pending) redirect("/register/phone");
  const { notice } = await searchParams;
  const number = maskPhone(pending.e164);
  // Held back by the send limits (R-A5.4): the wait, and whether an earlier code still works.
  const heldBack =
    notice === "limit"
      ? {
          seconds: await getPhoneSendWait(db, registrant.user.id, pending.id),
          earlier:
            (await getLiveTextChallenge(
              db,
              enrolmentBinding(registrant.user.id, registrant.bindingId),
              pending.id,
            )) !== null,
        }
      : null;
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">Enter code</h1>
      {notice === "sent" && (
        <div className="mb-4">
          <Alert kind="success">We sent a new code to {number}.</Alert>
        </div>
      )}
      {notice === "dead" && (
        <div className="mb-4">
          <Alert kind="error">
            This code can&apos;t be used any more. Start again with your phone number.
          </Alert>
        </div>
      )}
      <p className="mb-6">
        {!heldBack
          ? `We just sent a 6-digit code to ${number}. Enter the code below.`
          : heldBack.earlier
            ? `The code we sent to ${number} earlier still works. Enter it below.`
            : `We can't text ${number} yet.`}
      </p>
      {heldBack && !heldBack.earlier ? (
        <BackButton href="/register/phone" />
      ) : (
        <CodeForm action={confirmPhoneCodeAction} backHref="/register/phone" />
      )}
      <ResendForm channel="sms" label="Resend code" waitSeconds={heldBack?.seconds ?? null} />
    </>
  );
}
