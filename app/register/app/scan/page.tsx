import type { Metadata } from "next";
import { NextStepButton } from "@/components/forms/next-step-button";
import { redirect } from "next/navigation";
import { BackButton } from "@/components/forms/back-button";
import { QrCode } from "@/components/mfa/qr-code";
import { SecretReveal } from "@/components/mfa/secret-reveal";
import { getRegistrant } from "@/lib/auth/registrant";
import { getDb } from "@/lib/db/client";
import { getEnv } from "@/lib/env";
import { getPendingEnrolment } from "@/lib/mfa/authenticator-app";

export const metadata: Metadata = { title: "Scan the QR code" };

export default async function ScanPage() {
  const registrant = await getRegistrant();
  if (!registrant) redirect("/signin");
  const pending = await getPendingEnrolment(await getDb(), registrant.user.id, {
    issuer: getEnv().ORG_NAME,
    account: registrant.user.email,
  });
  if (!pending) redirect("/register/app/setup");
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">Scan the QR code</h1>
      <p className="mb-4">
        Use the authenticator app to scan the QR code. This connects the app with your account.
      </p>
      <div className="mb-4">
        <QrCode value={pending.uri} />
      </div>
      <div className="mb-6">
        <SecretReveal account={registrant.user.email} secret={pending.secret} />
      </div>
      <p className="mb-6">After you scan the QR code, choose &ldquo;Next&rdquo;.</p>
      <div className="flex justify-between gap-4">
        <BackButton href="/register/app/setup" />
        <NextStepButton href="/register/app/code" />
      </div>
    </>
  );
}
