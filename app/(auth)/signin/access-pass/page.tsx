import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getCurrentSession } from "@/lib/auth/current";
import { AFTER_SIGN_IN_PATH } from "@/lib/settings/policy";
import { safeRedirectPath } from "@/lib/security/redirect";
import { AccessPassForm } from "./access-pass-form";

export const metadata: Metadata = { title: "Use a Temporary Access Pass" };

export default async function AccessPassPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const callbackUrl = safeRedirectPath((await searchParams).callbackUrl, AFTER_SIGN_IN_PATH);
  if (await getCurrentSession()) redirect(callbackUrl);
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">Use a Temporary Access Pass</h1>
      <p className="mb-6 text-slate-700">
        The pass replaces your password and verification for one sign-in, so that you can set up a
        sign-in method.
      </p>
      <AccessPassForm callbackUrl={callbackUrl} />
    </>
  );
}
