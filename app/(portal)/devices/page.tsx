import type { Metadata } from "next";
import Link from "next/link";
import { Alert } from "@/components/ui/alert";
import { dangerButton, secondaryButton } from "@/components/ui/button-styles";
import { LocalTime } from "@/components/ui/local-time";
import { describeLocation, lookupIp } from "@/lib/activity/ip-intel";
import { describeDevice, parseUserAgent } from "@/lib/activity/user-agent";
import { requireSession } from "@/lib/auth/current";
import { listActiveSessions } from "@/lib/auth/sessions";
import { getDb } from "@/lib/db/client";
import { signOutDeviceAction, signOutOtherDevicesAction, type Outcome } from "./actions";

export const metadata: Metadata = { title: "Devices" };

const OUTCOMES: Record<Outcome, { kind: "success" | "error"; text: string }> = {
  "signed-out": { kind: "success", text: "That device was signed out." },
  "signed-out-others": {
    kind: "success",
    text: "Every other device was signed out, and no browser skips verification any more.",
  },
  missing: { kind: "error", text: "That device was already signed out." },
};

export default async function DevicesPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const session = await requireSession();
  const outcomeKey = (await searchParams).outcome;
  const outcome = typeof outcomeKey === "string" ? OUTCOMES[outcomeKey as Outcome] : undefined;
  const sessions = await listActiveSessions(await getDb(), session.user.id, session.id);
  const described = await Promise.all(
    sessions.map(async (s) => ({
      ...s,
      device: describeDevice(parseUserAgent(s.userAgent)),
      location: describeLocation(await lookupIp(s.ip)),
    })),
  );
  // Two sessions on the same kind of device in the same place get numbered names.
  const seen = new Map<string, number>();
  const rows = described.map((s) => {
    const base = `${s.device}, ${s.location}`;
    const count = (seen.get(base) ?? 0) + 1;
    seen.set(base, count);
    return { ...s, name: count === 1 ? base : `${base} (${count})` };
  });
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
    </>
  );
}
