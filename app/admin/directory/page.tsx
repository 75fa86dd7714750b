import type { Metadata } from "next";
import { requireAgentPage } from "@/lib/admin/guard";
import { getDb } from "@/lib/db/client";
import { getDirectoryConfig } from "@/lib/directory/config";
import { getLastDirectorySync } from "@/lib/directory/sync";
import { getEnv } from "@/lib/env";
import { SubmitButton } from "@/components/forms/submit-button";
import { LocalTime } from "@/components/ui/local-time";
import { dryRunDirectorySyncAction, syncDirectoryAction } from "./actions";

export const metadata: Metadata = { title: "Directory" };

const OUTCOMES = {
  running: "Running",
  completed: "Completed",
  stopped: "Stopped: nobody was disabled",
  unreachable: "The directory did not answer: nothing was changed",
} as const;

export default async function DirectoryPage({
  searchParams,
}: {
  searchParams: Promise<{ busy?: string }>;
}) {
  await requireAgentPage({ adminOnly: true });
  const { busy } = await searchParams;
  const config = getDirectoryConfig();
  const last = await getLastDirectorySync(await getDb());
  const minutes = getEnv().LDAP_SYNC_INTERVAL_MINUTES;
  return (
    <>
      <h1 className="text-3xl font-semibold">Directory</h1>
      <p className="mt-2 max-w-prose text-slate-700">
        {config
          ? `People and groups come from ${config.url}. ` +
            (minutes > 0
              ? `The sync runs every ${minutes} minutes: it creates people, updates their names, emails and roles, and disables those who left.`
              : "The background sync is off (LDAP_SYNC_INTERVAL_MINUTES=0): run it here.")
          : "No directory is connected: set LDAP_URL and the other LDAP settings to connect one."}
      </p>
      {busy && (
        <p role="status" className="mt-4 text-slate-800">
          A sync is already running. Its result appears here when it ends.
        </p>
      )}
      <section aria-labelledby="last-sync-heading" className="mt-8">
        <h2 id="last-sync-heading" className="text-xl font-semibold">
          Last sync
        </h2>
        {!last ? (
          <p className="mt-2 text-slate-700">No sync has run yet.</p>
        ) : (
          <dl className="mt-2 grid max-w-xl grid-cols-[auto_1fr] gap-x-6 gap-y-1">
            <dt className="font-medium">When</dt>
            <dd>
              <LocalTime value={last.startedAt} />
              {last.dryRun && " (dry run: nothing was changed)"}
            </dd>
            <dt className="font-medium">How long</dt>
            <dd>
              {last.finishedAt
                ? `${((last.finishedAt.getTime() - last.startedAt.getTime()) / 1000).toFixed(1)} s`
                : "Still running"}
            </dd>
            <dt className="font-medium">Outcome</dt>
            <dd>{OUTCOMES[last.outcome]}</dd>
            <dt className="font-medium">People found</dt>
            <dd>{last.found}</dd>
            <dt className="font-medium">{last.dryRun ? "Would create" : "Created"}</dt>
            <dd>{last.created}</dd>
            <dt className="font-medium">{last.dryRun ? "Would update" : "Updated"}</dt>
            <dd>{last.updated}</dd>
            <dt className="font-medium">{last.dryRun ? "Would disable" : "Disabled"}</dt>
            <dd>{last.disabled}</dd>
            <dt className="font-medium">Errors</dt>
            <dd>{last.errors}</dd>
          </dl>
        )}
        {last?.message && <p className="mt-3 max-w-prose text-slate-800">{last.message}</p>}
        {last && last.changes.length > 0 && (
          <>
            <h3 className="mt-4 font-semibold">
              {last.dryRun ? "What a sync would change" : "What changed"}
            </h3>
            <ul className="mt-1 list-disc pl-6">
              {last.changes.map((line, index) => (
                <li key={index}>{line}</li>
              ))}
            </ul>
          </>
        )}
      </section>
      {config && (
        <div className="mt-8 flex flex-wrap gap-4">
          <form action={syncDirectoryAction}>
            <SubmitButton pendingLabel="Syncing…">Sync now</SubmitButton>
          </form>
          <form action={dryRunDirectorySyncAction}>
            <SubmitButton pendingLabel="Checking…" variant="secondary">
              Dry run
            </SubmitButton>
          </form>
        </div>
      )}
    </>
  );
}
