import type { Metadata } from "next";
import { NextStepButton } from "@/components/forms/next-step-button";
import Link from "next/link";
import { redirect } from "next/navigation";
import { MethodChooser } from "@/components/mfa/method-chooser";
import { listTokensToActivate } from "@/lib/admin/hardware-tokens";
import { getRegistrant } from "@/lib/auth/registrant";
import { getDb } from "@/lib/db/client";
import { getMethodSummary } from "@/lib/mfa/methods";
import { kindOffered, type MethodKind } from "@/lib/mfa/registry";

/** What the first-time wizard offers: an app, a phone for those without one, or a passkey. */
const WIZARD_KINDS: MethodKind[] = [
  "authenticator_app",
  "companion_app",
  "mobile_phone",
  "passkey",
];

export const metadata: Metadata = { title: "Start by getting the app" };

export default async function StartPage() {
  const registrant = await getRegistrant();
  if (!registrant) redirect("/signin");
  const { role } = await getMethodSummary(await getDb(), registrant.user.id);
  const tokens = await listTokensToActivate(await getDb(), registrant.user.id);
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">Start by getting the app</h1>
      <p className="mb-3">
        On your phone, install an authenticator app such as Microsoft Authenticator, Google
        Authenticator or any app that makes time-based codes.
      </p>
      <p className="mb-6">After you install the app on your device, choose &ldquo;Next&rdquo;.</p>
      <p className="mb-6">
        <Link href="/register/app/setup" className="text-brand-700 underline">
          I want to use a different authenticator app
        </Link>
      </p>
      {tokens.length > 0 && (
        <p className="mb-6">
          <Link href="/register/hardware-token" className="text-brand-700 underline">
            Activate hardware token
          </Link>
        </p>
      )}
      <div className="flex flex-wrap items-center justify-between gap-4">
        <MethodChooser kinds={WIZARD_KINDS.filter((kind) => kindOffered(kind, role))} />
        <NextStepButton href="/register/app/setup" />
      </div>
      <p className="mt-6 text-sm">
        <Link href="/register/no-phone" className="text-brand-700 underline">
          I do not own a mobile phone — contact the helpdesk
        </Link>
      </p>
    </>
  );
}
