import type { Metadata } from "next";
import Link from "next/link";
import { LocalTime } from "@/components/ui/local-time";
import { primaryButton } from "@/components/ui/button-styles";
import { listAuditEntries } from "@/lib/admin/audit-log";
import { requireAgentPage } from "@/lib/admin/guard";
import { AUDIT_ACTIONS, AUDIT_SENTENCES } from "@/lib/audit/events";
import { getDb } from "@/lib/db/client";
import { readAuditFilters } from "./filters";

export const metadata: Metadata = { title: "Audit log" };

const field = "block w-full rounded-md border border-slate-400 px-3 py-2";

/** A person as the log shows them: name and email when the account still exists. */
function Person({
  person,
}: {
  person: { id: string; displayName: string | null; email: string | null } | null;
}) {
  if (!person) return <span className="text-slate-600">—</span>;
  return (
    <span>
      {person.displayName ?? "Deleted account"}
      {person.email && <span className="block text-sm text-slate-600">{person.email}</span>}
    </span>
  );
}

export default async function AuditPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  await requireAgentPage();
  const query = await searchParams;
  const { filters, params } = readAuditFilters((name) => query[name]);
  const cursor = typeof query.cursor === "string" ? query.cursor : undefined;
  const { items, nextCursor } = await listAuditEntries(await getDb(), filters, { cursor });
  const kept = Object.fromEntries(
    Object.entries(params).filter((entry): entry is [string, string] => Boolean(entry[1])),
  );

  return (
    <>
      <h1 className="text-3xl font-semibold">Audit log</h1>
      <p className="mt-2 text-slate-700">
        Every sign-in, change and helpdesk action, newest first. Entries are never changed or
        deleted.
      </p>
      <form method="get" className="mt-6 grid gap-3 sm:grid-cols-3 lg:grid-cols-6 lg:items-end">
        <div className="space-y-1">
          <label htmlFor="audit-actor" className="block text-sm font-medium text-slate-800">
            Actor
          </label>
          <input id="audit-actor" name="actor" defaultValue={params.actor} className={field} />
        </div>
        <div className="space-y-1">
          <label htmlFor="audit-subject" className="block text-sm font-medium text-slate-800">
            Subject
          </label>
          <input
            id="audit-subject"
            name="subject"
            defaultValue={params.subject}
            className={field}
          />
        </div>
        <div className="space-y-1">
          <label htmlFor="audit-action" className="block text-sm font-medium text-slate-800">
            Action
          </label>
          <select
            id="audit-action"
            name="action"
            defaultValue={params.action ?? ""}
            className={field}
          >
            <option value="">All actions</option>
            {AUDIT_ACTIONS.map((action) => (
              <option key={action} value={action}>
                {AUDIT_SENTENCES[action]}
              </option>
            ))}
          </select>
        </div>
        <div className="space-y-1">
          <label htmlFor="audit-from" className="block text-sm font-medium text-slate-800">
            From
          </label>
          <input
            id="audit-from"
            name="from"
            type="date"
            defaultValue={params.from}
            className={field}
          />
        </div>
        <div className="space-y-1">
          <label htmlFor="audit-to" className="block text-sm font-medium text-slate-800">
            To
          </label>
          <input id="audit-to" name="to" type="date" defaultValue={params.to} className={field} />
        </div>
        <button type="submit" className="rounded-md border border-slate-400 px-4 py-2">
          Filter
        </button>
      </form>
      <p className="mt-2 text-sm text-slate-600">
        Actor and subject take an email address or an account id. Times are UTC days.
      </p>
      <form method="post" action="/admin/audit/export" className="mt-4">
        {Object.entries(kept).map(([name, value]) => (
          <input key={name} type="hidden" name={name} value={value} />
        ))}
        <button type="submit" className={primaryButton}>
          Export CSV
        </button>
      </form>

      {items.length === 0 ? (
        <p className="mt-6 text-slate-700">No entries match.</p>
      ) : (
        <table className="mt-6 w-full text-left text-sm">
          <caption className="sr-only">Audit entries</caption>
          <thead className="border-b border-slate-300">
            <tr>
              <th scope="col" className="py-2 pr-3">
                When
              </th>
              <th scope="col" className="py-2 pr-3">
                Action
              </th>
              <th scope="col" className="py-2 pr-3">
                Outcome
              </th>
              <th scope="col" className="py-2 pr-3">
                Actor
              </th>
              <th scope="col" className="py-2 pr-3">
                Subject
              </th>
              <th scope="col" className="py-2 pr-3">
                Reason
              </th>
              <th scope="col" className="py-2">
                From
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((entry) => {
              const { reason, ticket, ...rest } = entry.details ?? {};
              return (
                <tr key={entry.id} className="border-b border-slate-200 align-top">
                  <td className="py-2 pr-3">
                    <LocalTime value={entry.at} />
                  </td>
                  <td className="py-2 pr-3">
                    {entry.sentence}
                    <span className="block font-mono text-xs text-slate-600">{entry.action}</span>
                    {Object.keys(rest).length > 0 && (
                      <span className="block text-xs break-all text-slate-600">
                        {Object.entries(rest)
                          .map(([k, v]) => `${k}: ${String(v)}`)
                          .join(" · ")}
                      </span>
                    )}
                  </td>
                  <td className="py-2 pr-3">{entry.outcome}</td>
                  <td className="py-2 pr-3">
                    <Person person={entry.actor} />
                  </td>
                  <td className="py-2 pr-3">
                    <Person person={entry.subject} />
                  </td>
                  <td className="py-2 pr-3">
                    {reason !== undefined && reason !== null ? String(reason) : "—"}
                    {ticket !== undefined && ticket !== null && (
                      <span className="block text-slate-600">Ticket {String(ticket)}</span>
                    )}
                  </td>
                  <td className="py-2 break-all">{entry.ip ?? "—"}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {nextCursor && (
        <p className="mt-4">
          <Link
            href={`?${new URLSearchParams({ ...kept, cursor: nextCursor }).toString()}`}
            className="text-brand-700 underline"
          >
            Older entries
          </Link>
        </p>
      )}
    </>
  );
}
