import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { PasskeyForm } from "@/components/mfa/passkey-form";
import { getRegistrant } from "@/lib/auth/registrant";
import { getDb } from "@/lib/db/client";
import { getMethodSummary } from "@/lib/mfa/methods";
import { PASSKEY_NAME_MAX_LENGTH } from "@/lib/mfa/passkeys";
import { kindOffered } from "@/lib/mfa/registry";
import { passkeyRegistrationOptionsAction, registerPasskeyAction } from "./actions";

export const metadata: Metadata = { title: "Create a passkey" };

/** Creating a passkey: from Security info (after a fresh second factor) or in the wizard. */
export default async function CreatePasskeyPage() {
  const registrant = await getRegistrant();
  if (!registrant) redirect("/signin");
  const { role } = await getMethodSummary(await getDb(), registrant.user.id);
  const back = registrant.transaction ? "/register" : "/security-info";
  if (!kindOffered("passkey", role)) redirect(back);
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">Create a passkey</h1>
      <p className="mb-3">
        A passkey lets you sign in with your fingerprint, face, PIN or security key instead of a
        code. It stays on your device (or in your password manager) and only works on this site, so
        it can&apos;t be phished.
      </p>
      <p className="mb-6">
        Give it a name you will recognise, choose &ldquo;Next&rdquo;, then follow what your browser
        asks.
      </p>
      <PasskeyForm
        ceremony={{ kind: "create", prepare: passkeyRegistrationOptionsAction }}
        action={registerPasskeyAction}
        answerName="response"
        buttonLabel="Next"
        pendingLabel="Waiting for your passkey…"
        textField={{
          label: "Passkey name",
          name: "name",
          defaultValue: "Passkey",
          maxLength: PASSKEY_NAME_MAX_LENGTH,
          hint: "For example, the device or security key it is on.",
        }}
      />
      <p className="mt-6">
        <Link href={back} className="text-brand-700 underline">
          Back
        </Link>
      </p>
    </>
  );
}
