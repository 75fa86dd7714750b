import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { BackButton } from "@/components/forms/back-button";
import { CallWaiter } from "@/components/mfa/call-waiter";
import { getRegistrant } from "@/lib/auth/registrant";
import { getDb } from "@/lib/db/client";
import { getPendingPhone } from "@/lib/mfa/phone";
import { getCallStatus, getLatestCall, getPhoneSendWait } from "@/lib/mfa/phone-challenges";
import { enrolmentBinding } from "@/lib/mfa/phone-enrolment";
import { maskPhone } from "@/lib/mfa/phone-numbers";
import { confirmPhoneCallAction } from "../actions";
import { ResendForm } from "../resend-form";

export const metadata: Metadata = { title: "Approve the call" };

export default async function PhoneCallPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const registrant = await getRegistrant();
  if (!registrant) redirect("/signin");
  const db = await getDb();
  const pending = await getPendingPhone(db, registrant.user.id, registrant.bindingId);
  if (!pending) redirect("/register/phone");
  const binding = enrolmentBinding(registrant.user.id, registrant.bindingId);
  const call = await getLatestCall(db, binding, pending.id);
  const number = maskPhone(pending.e164);
  // Held back by the send limits (R-A5.4): the wait, and whether an earlier call still rings.
  const heldBack =
    (await searchParams).notice === "limit"
      ? {
          seconds: await getPhoneSendWait(db, registrant.user.id, pending.id),
          earlier: call !== null && (await getCallStatus(db, binding, call.id)) === "ringing",
        }
      : null;
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">Approve the call</h1>
      <p className="mb-6">
        {!heldBack
          ? `We're calling ${number} now. Answer it and press # to continue.`
          : heldBack.earlier
            ? `The call to ${number} is still ringing. Answer it and press # to continue.`
            : `We can't call ${number} yet.`}
      </p>
      {call && (!heldBack || heldBack.earlier) && (
        <CallWaiter
          key={call.id}
          statusUrl={`/register/phone/call/status?challenge=${call.id}`}
          finishAction={confirmPhoneCallAction}
          fields={{ challenge: call.id }}
        />
      )}
      <ResendForm channel="voice" label="Call me again" waitSeconds={heldBack?.seconds ?? null} />
      <div className="mt-6">
        <BackButton href="/register/phone" />
      </div>
    </>
  );
}
