import type { Metadata } from "next";
import Link from "next/link";
import { RememberedBrowserDetails } from "@/components/mfa/remembered-browser-details";
import { Alert } from "@/components/ui/alert";
import { dangerButton, secondaryButton } from "@/components/ui/button-styles";
import { LocalTime } from "@/components/ui/local-time";
import { nameDevices } from "@/lib/activity/device-names";
import { requireSession } from "@/lib/auth/current";
import { listActiveSessions } from "@/lib/auth/sessions";
import { getDb } from "@/lib/db/client";
import { listRememberedBrowsers } from "@/lib/mfa/remembered-browser";
import {
  forgetAllBrowsersAction,
  forgetBrowserAction,
  signOutDeviceAction,
  signOutOtherDevicesAction,
  type Outcome,
} from "./actions";

export const metadata: Metadata = { title: "Devices" };

const OUTCOMES: Record<Outcome, { kind: "success" | "error"; text: string }> = {
  "signed-out": { kind: "success", text: "That device was signed out." },
  "signed-out-forgotten": {
    kind: "success",
    text: "That device was signed out, and its browser will ask for a code at its next sign-in.",
  },
  "signed-out-others": {
    kind: "success",
    text: "Every other device was signed out, and no browser skips verification any more.",
  },
  missing: { kind: "error", text: "That device was already signed out." },
  forgotten: { kind: "success", text: "That browser will ask for a code at its next sign-in." },
  "forgotten-all": {
    kind: "success",
    text: "Every browser will ask for a code at its next sign-in.",
  },
  "browser-missing": { kind: "error", text: "That browser was already forgotten." },
};

export default async function DevicesPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const session = await requireSession();
  const outcomeKey = (await searchParams).outcome;
  const outcome = typeof outcomeKey === "string" ? OUTCOMES[outcomeKey as Outcome] : undefined;
  const db = await getDb();
  const [rows, browsers] = await Promise.all([
    listActiveSessions(db, session.user.id, session.id).then(nameDevices),
    listRememberedBrowsers(db, session.user.id, session.id).then(nameDevices),
  ]);
  const others = rows.filter((s) => !s.current);

  return (
    <>
      <h1 className="text-3xl font-semibold">Devices</h1>
      <p className="mt-2 max-w-prose text-slate-700">
        The browsers and devices signed in to your account now. If you don&apos;t recognise one,
        sign it out, then{" "}
        <Link href="/secure-account" className="text-brand-700 underline">
          secure your account
        </Link>
        . Locations are approximate and may be where the network provider is registered.
      </p>
      {outcome && (
        <div className="mt-4">
          <Alert kind={outcome.kind}>{outcome.text}</Alert>
        </div>
      )}
      <ul
        aria-label="Signed-in devices"
        className="mt-6 divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white"
      >
        {rows.map((s) => (
          <li key={s.reference} className="flex flex-wrap items-center justify-between gap-3 p-4">
            <div>
              <p className="font-medium">
                {s.name}
                {s.current && (
                  <span className="ml-2 rounded bg-green-100 px-2 py-0.5 text-sm font-semibold text-green-900">
                    This device
                  </span>
                )}
              </p>
              <p className="text-slate-700">
                IP address {s.ip ?? "unknown"}
                {s.persistent && " · stays signed in"}
              </p>
              <p className="text-sm text-slate-600">
                Last active <LocalTime value={s.lastSeenAt} /> · signed in{" "}
                <LocalTime value={s.createdAt} />
              </p>
            </div>
            {!s.current && (
              <form action={signOutDeviceAction}>
                <input type="hidden" name="session" value={s.reference} />
                <button type="submit" aria-label={`Sign out ${s.name}`} className={secondaryButton}>
                  Sign out
                </button>
              </form>
            )}
          </li>
        ))}
      </ul>
      {others.length > 0 && (
        <form action={signOutOtherDevicesAction} className="mt-6">
          <button type="submit" className={dangerButton}>
            Sign out all other devices
          </button>
        </form>
      )}

      <section aria-labelledby="remembered-heading" className="mt-10">
        <h2 id="remembered-heading" className="text-xl font-semibold">
          Browsers that don&apos;t ask for a code
        </h2>
        <p className="mt-2 max-w-prose text-slate-700">
          Where you chose &ldquo;Don&apos;t ask again&rdquo;, signing in needs only your password
          unless something looks unusual. Forget a browser you no longer use or don&apos;t
          recognise: it will ask for a code at its next sign-in. Signing a device out forgets its
          browser too.
        </p>
        {browsers.length === 0 ? (
          <p className="mt-4 text-slate-700">Every browser asks for a code when you sign in.</p>
        ) : (
          <>
            <ul
              aria-label="Remembered browsers"
              className="mt-4 divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white"
            >
              {browsers.map((b) => (
                <li
                  key={b.reference}
                  className="flex flex-wrap items-center justify-between gap-3 p-4"
                >
                  <div>
                    <p className="font-medium">
                      {b.name}
                      {b.current && (
                        <span className="ml-2 rounded bg-green-100 px-2 py-0.5 text-sm font-semibold text-green-900">
                          This browser
                        </span>
                      )}
                    </p>
                    <RememberedBrowserDetails browser={b} />
                  </div>
                  <form action={forgetBrowserAction}>
                    <input type="hidden" name="browser" value={b.reference} />
                    <button
                      type="submit"
                      aria-label={`Forget ${b.name}`}
                      className={secondaryButton}
                    >
                      Forget
                    </button>
                  </form>
                </li>
              ))}
            </ul>
            <form action={forgetAllBrowsersAction} className="mt-6">
              <button type="submit" className={dangerButton}>
                Forget all
              </button>
            </form>
          </>
        )}
      </section>
    </>
  );
}
