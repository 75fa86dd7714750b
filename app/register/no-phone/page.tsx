import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { BackButton } from "@/components/forms/back-button";
import { HelpRequestForm } from "@/components/forms/help-request-form";
import { CASE_MESSAGE_MAX_LENGTH } from "@/lib/cases/report";
import { getRegistrant } from "@/lib/auth/registrant";
import { getEnv } from "@/lib/env";
import { sendNoPhoneRequestAction } from "./actions";

export const metadata: Metadata = { title: "Contact the helpdesk" };

/** For someone with no mobile phone: the helpdesk can assign a hardware token or another way. */
export default async function NoPhonePage() {
  const registrant = await getRegistrant();
  if (!registrant) redirect("/signin");
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">Contact the helpdesk</h1>
      <p className="mb-2">
        No mobile phone? The helpdesk can give you a hardware token — a small device that shows
        codes — or set up another way for you to sign in.
      </p>
      <p className="mb-2 text-slate-700">
        They will reply to {registrant.user.email}, or you can email {getEnv().HELPDESK_EMAIL}.
      </p>
      <HelpRequestForm maxLength={CASE_MESSAGE_MAX_LENGTH} action={sendNoPhoneRequestAction} />
      <div className="mt-6">
        <BackButton href="/register" />
      </div>
    </>
  );
}
