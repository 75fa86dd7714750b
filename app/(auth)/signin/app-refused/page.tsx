import type { Metadata } from "next";
import Link from "next/link";
import { getDb } from "@/lib/db/client";
import { appOfInteraction } from "@/lib/apps/registry";
import type { RefusalReason } from "@/lib/oidc/sign-in-bridge";
import { INTERACTION_PATH } from "@/lib/apps/provider-paths";

export const metadata: Metadata = { title: "You can't use this app" };

const EXPLANATION: Record<RefusalReason, string> = {
  role: "Your account is not allowed to use this app. If you need it for your work or studies, ask the helpdesk.",
  second_factor:
    "This app needs a second sign-in method, such as the authenticator app or your phone. Set one up in Security info, then open the app again.",
  passkey:
    "This app needs a passkey or security key. Sign in with your passkey, or add one in Security info, then open the app again.",
};

// Reached from lib/oidc/sign-in-bridge.ts when someone signed in to Factor may not use the app.
// The reason only chooses the words; the app learns `access_denied` when the person goes back.
export default async function AppRefusedPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  const uid = typeof params.uid === "string" ? params.uid : "";
  const reason = (
    typeof params.reason === "string" && params.reason in EXPLANATION ? params.reason : "role"
  ) as RefusalReason;
  const app = await appOfInteraction(await getDb(), uid);
  const name = app?.name ?? "this app";
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">You can&apos;t use {name}</h1>
      <p className="mb-6 text-slate-700">{EXPLANATION[reason]}</p>
      <div className="flex flex-wrap gap-3">
        {app && (
          <a
            href={`${INTERACTION_PATH}/${encodeURIComponent(uid)}/abort`}
            className="rounded-md bg-blue-700 px-4 py-2 font-medium text-white hover:bg-blue-800 focus-visible:outline focus-visible:outline-3 focus-visible:outline-offset-2 focus-visible:outline-blue-600"
          >
            Back to {name}
          </a>
        )}
        <Link
          href={reason === "role" ? "/help" : "/security-info"}
          className="rounded-md border border-blue-700 px-4 py-2 font-medium text-blue-700 hover:bg-blue-50 focus-visible:outline focus-visible:outline-3 focus-visible:outline-offset-2 focus-visible:outline-blue-600"
        >
          {reason === "role" ? "Help" : "Security info"}
        </Link>
      </div>
    </>
  );
}
