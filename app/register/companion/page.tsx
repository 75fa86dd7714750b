import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getRegistrant } from "@/lib/auth/registrant";
import { getEnv } from "@/lib/env";
import { PairingPanel } from "./pairing-panel";

export const metadata: Metadata = { title: "Set up the Authenticator app" };

export default async function CompanionPage() {
  if (!(await getRegistrant())) redirect("/signin");
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">Set up the Authenticator app</h1>
      <p className="mb-3">
        The Authenticator app runs in your phone&apos;s browser: you approve sign-ins by typing the
        number your computer shows, and it shows verification codes, even offline.
      </p>
      <p className="mb-6">
        Your phone needs a screen lock. If a request doesn&apos;t arrive, open the app at{" "}
        <span className="font-mono">{getEnv().PUBLIC_URL}/authenticator</span> and choose
        &ldquo;Check for notifications&rdquo;.
      </p>
      <PairingPanel />
    </>
  );
}
