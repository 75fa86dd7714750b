import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getRegistrant } from "@/lib/auth/registrant";
import { getDb } from "@/lib/db/client";
import { getPendingPhone } from "@/lib/mfa/phone";
import { maskPhone } from "@/lib/mfa/phone-numbers";
import { CodeForm } from "../../code-form";
import { confirmPhoneCodeAction } from "../actions";
import { ResendForm } from "../resend-form";

export const metadata: Metadata = { title: "Enter code" };

export default async function PhoneCodePage() {
  const registrant = await getRegistrant();
  if (!registrant) redirect("/signin");
  const pending = await getPendingPhone(await getDb(), registrant.user.id, registrant.bindingId);
  if (!pending) redirect("/register/phone");
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">Enter code</h1>
      <p className="mb-6">
        We just sent a 6-digit code to {maskPhone(pending.e164)}. Enter the code below.
      </p>
      <CodeForm action={confirmPhoneCodeAction} backHref="/register/phone" />
      <ResendForm channel="sms" label="Resend code" />
    </>
  );
}
