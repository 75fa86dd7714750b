import type { Metadata } from "next";
import Link from "next/link";
import { Alert } from "@/components/ui/alert";
import { secondaryButton } from "@/components/ui/button-styles";
import { LocalTime } from "@/components/ui/local-time";
import { listSignedInApps } from "@/lib/apps/app-access";
import { requireSession } from "@/lib/auth/current";
import { getDb } from "@/lib/db/client";
import { removeAppAccessAction, type Outcome } from "./actions";

export const metadata: Metadata = { title: "My apps" };

export default async function MyAppsPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const session = await requireSession();
  const params = await searchParams;
  const listed = await listSignedInApps(await getDb(), session.user.id);
  const outcome = typeof params.outcome === "string" ? (params.outcome as Outcome) : undefined;
  // The name in the message is the app's own, found by its client ID: never text from the address.
  const removed =
    outcome === "removed" ? listed.find((app) => app.clientId === params.app) : undefined;

  return (
    <>
      <h1 className="text-3xl font-semibold">My apps</h1>
      <p className="mt-2 max-w-prose text-slate-700">
        The applications you signed in to with your account. If you no longer use one, or don&apos;t
        recognise it, remove its access: the app can no longer use what it received from us, and it
        is asked to sign you out. Signing in to it again works as before. If you don&apos;t
        recognise an app, also{" "}
        <Link href="/secure-account" className="text-brand-700 underline">
          secure your account
        </Link>
        .
      </p>
      {outcome === "removed" && (
        <div className="mt-4">
          <Alert kind="success">
            {removed
              ? `${removed.name} no longer has access to your account, and was asked to sign you out.`
              : "The app no longer has access to your account, and was asked to sign you out."}
          </Alert>
        </div>
      )}
      {outcome === "missing" && (
        <div className="mt-4">
          <Alert kind="error">That app is not in your list.</Alert>
        </div>
      )}
      {listed.length === 0 ? (
        <p className="mt-6 text-slate-700">
          You haven&apos;t signed in to any app with your account yet. Apps you sign in to will be
          listed here.
        </p>
      ) : (
        <ul
          aria-label="Apps"
          className="mt-6 divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white"
        >
          {listed.map((app) => (
            <li
              key={app.clientId}
              className="flex flex-wrap items-center justify-between gap-3 p-4"
            >
              <div>
                <p className="font-medium">{app.name}</p>
                <p className="text-sm text-slate-600">
                  Last sign-in <LocalTime value={app.lastSignInAt} />
                </p>
              </div>
              <form action={removeAppAccessAction}>
                <input type="hidden" name="app" value={app.clientId} />
                <button
                  type="submit"
                  aria-label={`Remove access to ${app.name}`}
                  className={secondaryButton}
                >
                  Remove access
                </button>
              </form>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
