import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { listTokensToActivate } from "@/lib/admin/hardware-tokens";
import { getRegistrant } from "@/lib/auth/registrant";
import { getDb } from "@/lib/db/client";
import { ActivateForm } from "./activate-form";

export const metadata: Metadata = { title: "Activate your hardware token" };

/** Activating a token the helpdesk assigned: from Security info, or in the wizard. */
export default async function ActivateTokenPage() {
  const registrant = await getRegistrant();
  if (!registrant) redirect("/signin");
  const tokens = await listTokensToActivate(await getDb(), registrant.user.id);
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">Activate your hardware token</h1>
      {tokens.length === 0 ? (
        <p className="mb-6">
          No hardware token is waiting for you. The helpdesk gives out hardware tokens: ask them for
          one.{" "}
          <Link
            href={registrant.transaction ? "/register" : "/security-info"}
            className="text-brand-700 underline"
          >
            Go back
          </Link>
        </p>
      ) : (
        <>
          <p className="mb-6">
            Press the button on your token and enter the 6-digit code it shows. From then on, you
            can sign in with a code from the token.
          </p>
          <ActivateForm tokens={tokens} />
        </>
      )}
    </>
  );
}
