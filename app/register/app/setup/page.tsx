import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getRegistrant } from "@/lib/auth/registrant";
import { SetupForm } from "./setup-form";

export const metadata: Metadata = { title: "Set up your account" };

export default async function SetupPage() {
  if (!(await getRegistrant())) redirect("/signin");
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">Set up your account</h1>
      <p className="mb-6">
        In the app, add an account. If you are asked what kind, choose &ldquo;Other&rdquo; (or
        &ldquo;Work or school account&rdquo;), then choose to scan a QR code.
      </p>
      <SetupForm />
    </>
  );
}
