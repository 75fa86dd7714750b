import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { SubmitButton } from "@/components/forms/submit-button";
import { pendingRequest } from "@/lib/apps/registry";
import { requireSession } from "@/lib/auth/current";
import { getDb } from "@/lib/db/client";
import { SCOPE_DESCRIPTIONS } from "@/lib/oidc/account";
import { answerConsentAction } from "./actions";

export const metadata: Metadata = { title: "Allow this app?" };

// Reached from lib/oidc/sign-in-bridge.ts for an app the console marks "Ask people to consent",
// once the person is signed in and allowed to use it.
export default async function AppConsentPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const session = await requireSession();
  const params = await searchParams;
  const uid = typeof params.uid === "string" ? params.uid : "";
  const request = await pendingRequest(await getDb(), uid);
  if (!request || request.app.disabledAt) redirect("/signin");
  const { app, scopes } = request;
  const described = scopes.filter((scope) => scope in SCOPE_DESCRIPTIONS);
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">Allow {app.name} to use your account?</h1>
      <p className="mb-2">
        You are signed in as <strong>{session.user.email}</strong>. {app.name} will receive:
      </p>
      <ul className="mb-6 list-disc space-y-1 pl-6" aria-label={`What ${app.name} will receive`}>
        {described.map((scope) => (
          <li key={scope}>{SCOPE_DESCRIPTIONS[scope]}</li>
        ))}
      </ul>
      <p className="mb-6 text-slate-700">
        Factor remembers your answer. You can remove the app&apos;s access at any time in My apps.
      </p>
      <form action={answerConsentAction} className="flex justify-end gap-3">
        <input type="hidden" name="uid" value={uid} />
        <SubmitButton name="answer" value="deny" variant="secondary" pendingLabel="Don't allow">
          Don&apos;t allow
        </SubmitButton>
        <SubmitButton name="answer" value="allow" pendingLabel="Allow">
          Allow
        </SubmitButton>
      </form>
    </>
  );
}
