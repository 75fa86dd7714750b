import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getRegistrant } from "@/lib/auth/registrant";
import { confirmEnrolmentAction } from "../../actions";
import { CodeForm } from "../../code-form";

export const metadata: Metadata = { title: "Enter code" };

export default async function CodePage() {
  if (!(await getRegistrant())) redirect("/signin");
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">Enter code</h1>
      <p className="mb-6">Enter the 6-digit code shown in the authenticator app.</p>
      <CodeForm action={confirmEnrolmentAction} backHref="/register/app/scan" />
    </>
  );
}
