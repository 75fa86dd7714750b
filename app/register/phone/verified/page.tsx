import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { NextStepButton } from "@/components/forms/next-step-button";
import { getRegistrant } from "@/lib/auth/registrant";
import { stepAfterMethod } from "../../enrolment";

export const metadata: Metadata = { title: "Phone" };

export default async function PhoneVerifiedPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const registrant = await getRegistrant();
  if (!registrant) redirect("/signin");
  const byCall = (await searchParams).via === "call";
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">Phone</h1>
      <p role="status" className="mb-2 font-medium text-green-800">
        {byCall ? "Call answered" : "SMS verified"}
      </p>
      <p className="mb-6">Your phone was registered successfully.</p>
      <div className="flex justify-end">
        <NextStepButton href={await stepAfterMethod(registrant)} />
      </div>
    </>
  );
}
