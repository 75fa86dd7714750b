import type { Metadata } from "next";
import Link from "next/link";
import { LocalTime } from "@/components/ui/local-time";
import { requireSession } from "@/lib/auth/current";
import { sessionLimits } from "@/lib/settings/policy";
import { getAccountOverview } from "@/lib/auth/users";
import { getDb } from "@/lib/db/client";
import { getMethodSummary } from "@/lib/mfa/methods";
import { defaultMethodName } from "@/lib/mfa/registry";
import { BackupPrompt } from "@/components/mfa/backup-prompt";
import { backupStatus } from "@/lib/mfa/backup";
import { addBackupMethodAction } from "./security-info/actions";

export const metadata: Metadata = { title: "Overview" };

export default async function OverviewPage() {
  const session = await requireSession();
  const db = await getDb();
  const [overview, methods] = await Promise.all([
    getAccountOverview(db, session.user.id),
    getMethodSummary(db, session.user.id),
  ]);
  const firstName = session.user.displayName.split(" ")[0];
  return (
    <>
      <h1 className="text-3xl font-semibold">Overview</h1>
      <p className="mt-2 text-lg text-slate-700">
        Hello, {firstName}. Here is how your account is set up.
      </p>

      <BackupPrompt status={backupStatus(methods)} action={addBackupMethodAction} />

      <section aria-labelledby="set-up-heading" className="mt-8">
        <h2 id="set-up-heading" className="text-xl font-semibold">
          How you sign in
        </h2>
        <dl className="mt-4 divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white">
          <div className="grid gap-1 p-4 sm:grid-cols-3">
            <dt className="font-medium">Password</dt>
            <dd className="sm:col-span-2">
              Set
              {overview.passwordChangedAt && (
                <>
                  {" "}
                  — last changed <LocalTime value={overview.passwordChangedAt} />
                </>
              )}
            </dd>
          </div>
          <div className="grid gap-1 p-4 sm:grid-cols-3">
            <dt className="font-medium">Second sign-in method</dt>
            <dd className="sm:col-span-2">
              {methods.defaultMethod ? (
                <>
                  {defaultMethodName(methods.defaultMethod)}
                  {methods.methods.length > 1 && ` and ${methods.methods.length - 1} more`}.{" "}
                  {methods.recoveryCodesLeft === 0 && "No recovery codes yet. "}
                </>
              ) : (
                <>
                  <strong>Not set up yet.</strong>{" "}
                  {overview.mfaRequired
                    ? "Your organisation requires one."
                    : "Your organisation does not require one for your account yet, but it protects you."}{" "}
                </>
              )}
              <Link href="/security-info" className="text-brand-700 underline">
                Manage your security info
              </Link>
            </dd>
          </div>
          <div className="grid gap-1 p-4 sm:grid-cols-3">
            <dt className="font-medium">This sign-in</dt>
            <dd className="sm:col-span-2">
              Since <LocalTime value={session.authenticatedAt} />,{" "}
              {session.persistent
                ? "staying signed in on this browser."
                : `ending after ${Math.round(sessionLimits().idleMs / 60_000)} minutes without activity or when the browser closes.`}{" "}
              You are signed in on {overview.activeSessions}{" "}
              {overview.activeSessions === 1 ? "browser" : "browsers"}.
            </dd>
          </div>
        </dl>
      </section>

      <p className="mt-8">
        Questions? See{" "}
        <Link href="/help" className="text-brand-700 underline">
          Help
        </Link>
        .
      </p>
    </>
  );
}
