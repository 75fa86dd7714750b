import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { BackButton } from "@/components/forms/back-button";
import { CallWaiter } from "@/components/mfa/call-waiter";
import { getRegistrant } from "@/lib/auth/registrant";
import { getDb } from "@/lib/db/client";
import { getPendingPhone } from "@/lib/mfa/phone";
import { getLatestCall } from "@/lib/mfa/phone-challenges";
import { maskPhone } from "@/lib/mfa/phone-numbers";
import { confirmPhoneCallAction } from "../actions";
import { ResendForm } from "../resend-form";

export const metadata: Metadata = { title: "Approve the call" };

export default async function PhoneCallPage() {
  const registrant = await getRegistrant();
  if (!registrant) redirect("/signin");
  const db = await getDb();
  const pending = await getPendingPhone(db, registrant.user.id, registrant.bindingId);
  if (!pending) redirect("/register/phone");
  const call = await getLatestCall(
    db,
    { userId: registrant.user.id, purpose: "enrol", transactionId: registrant.bindingId },
    pending.id,
  );
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">Approve the call</h1>
      <p className="mb-6">
        We&apos;re calling {maskPhone(pending.e164)} now. Answer it and press # to continue.
      </p>
      {call && (
        <CallWaiter
          key={call.id}
          statusUrl={`/register/phone/call/status?challenge=${call.id}`}
          finishAction={confirmPhoneCallAction}
          fields={{ challenge: call.id }}
        />
      )}
      <ResendForm channel="voice" label="Call me again" />
      <div className="mt-6">
        <BackButton href="/register/phone" />
      </div>
    </>
  );
}
