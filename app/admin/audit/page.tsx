import type { Metadata } from "next";
import { LocalTime } from "@/components/ui/local-time";
import { primaryButton } from "@/components/ui/button-styles";
import { listAuditEntries } from "@/lib/admin/audit-log";
import { requireAgentPage } from "@/lib/admin/guard";
import { AUDIT_ACTIONS, AUDIT_SENTENCES } from "@/lib/audit/events";
import { getDb } from "@/lib/db/client";
import { DataTable } from "../_components/data-table";
import { FilterField } from "../_components/filter-field";
import { FilterForm } from "../_components/filter-form";
import { MoreLink } from "../_components/more-link";
import { listHref, param, type SearchParams } from "../search-params";
import { readAuditFilters } from "./filters";

export const metadata: Metadata = { title: "Audit log" };

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

export default async function AuditPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  await requireAgentPage();
  const query = await searchParams;
  const { filters, params } = readAuditFilters((name) => query[name]);
  const cursor = param(query, "cursor");
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
      <FilterForm className="grid gap-3 sm:grid-cols-3 lg:grid-cols-6 lg:items-end">
        <FilterField
          id="audit-actor"
          name="actor"
          label="Actor"
          value={params.actor}
          className="w-full"
        />
        <FilterField
          id="audit-subject"
          name="subject"
          label="Subject"
          value={params.subject}
          className="w-full"
        />
        <FilterField
          id="audit-action"
          name="action"
          label="Action"
          value={params.action}
          anyLabel="All actions"
          options={AUDIT_ACTIONS.map((action) => [action, AUDIT_SENTENCES[action]] as const)}
          className="w-full"
        />
        <FilterField
          id="audit-from"
          name="from"
          label="From"
          type="date"
          value={params.from}
          className="w-full"
        />
        <FilterField
          id="audit-to"
          name="to"
          label="To"
          type="date"
          value={params.to}
          className="w-full"
        />
      </FilterForm>
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
        <DataTable
          caption="Audit entries"
          columns={["When", "Action", "Outcome", "Actor", "Subject", "Reason", "From"]}
          small
        >
          {items.map((entry) => {
            const { reason, ticket, ...rest } = entry.details ?? {};
            return (
              <tr key={entry.id} className="border-b border-slate-200 align-top">
                <td className="py-2 pr-4">
                  <LocalTime value={entry.at} />
                </td>
                <td className="py-2 pr-4">
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
                <td className="py-2 pr-4">{entry.outcome}</td>
                <td className="py-2 pr-4">
                  <Person person={entry.actor} />
                </td>
                <td className="py-2 pr-4">
                  <Person person={entry.subject} />
                </td>
                <td className="py-2 pr-4">
                  {reason !== undefined && reason !== null ? String(reason) : "—"}
                  {ticket !== undefined && ticket !== null && (
                    <span className="block text-slate-600">Ticket {String(ticket)}</span>
                  )}
                </td>
                <td className="py-2 break-all">{entry.ip ?? "—"}</td>
              </tr>
            );
          })}
        </DataTable>
      )}
      {nextCursor && (
        <MoreLink href={listHref("", { ...kept, cursor: nextCursor })}>Older entries</MoreLink>
      )}
    </>
  );
}
