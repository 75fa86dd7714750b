import type { Metadata } from "next";
import Link from "next/link";
import { Alert } from "@/components/ui/alert";
import { LocalTime } from "@/components/ui/local-time";
import { CASE_STATUSES, listCases, type CaseStatus } from "@/lib/admin/cases";
import type { CaseKind } from "@/lib/cases/report";
import { requireAgentPage } from "@/lib/admin/guard";
import { getDb } from "@/lib/db/client";
import { FilterField } from "../_components/filter-field";
import { FilterForm } from "../_components/filter-form";
import { MoreLink } from "../_components/more-link";
import { choice, listHref, param, type SearchParams } from "../search-params";
import { addCaseNoteAction, assignCaseToMeAction, setCaseStatusAction } from "./actions";

export const metadata: Metadata = { title: "Cases" };

const KINDS: Record<CaseKind, string> = {
  unrecognised_activity: "Unrecognised sign-in activity",
  no_mobile_phone: "No mobile phone",
  other: "Other",
};

const STATUSES: Record<CaseStatus, string> = {
  open: "Open",
  in_progress: "In progress",
  resolved: "Resolved",
};

const OUTCOMES: Record<string, { kind: "success" | "error"; text: string }> = {
  assigned: { kind: "success", text: "The case is assigned to you." },
  "status-changed": { kind: "success", text: "The case's status was changed." },
  "note-added": { kind: "success", text: "The note was added." },
  "empty-note": { kind: "error", text: "Write a note of at most 2000 characters." },
  missing: { kind: "error", text: "That case no longer exists." },
};

const RESULTS: Record<string, string> = {
  success: "Successful sign-in",
  failure: "Unsuccessful sign-in",
  interrupted: "Interrupted sign-in",
};

const field = "rounded-md border border-slate-400 px-3 py-2";

export default async function CasesPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const agent = await requireAgentPage();
  const params = await searchParams;
  const status = choice(params, "status", CASE_STATUSES);
  const before = param(params, "before");
  const outcome = typeof params.outcome === "string" ? OUTCOMES[params.outcome] : undefined;
  const { items, nextCursor } = await listCases(await getDb(), { status, before });

  return (
    <>
      <h1 className="text-3xl font-semibold">Cases</h1>
      <p className="mt-2 text-slate-700">
        Reports from &ldquo;Tell us what happened&rdquo; and requests from people without a mobile
        phone.
      </p>
      {outcome && (
        <div className="mt-4">
          <Alert kind={outcome.kind}>{outcome.text}</Alert>
        </div>
      )}
      <FilterForm>
        <FilterField
          id="case-filter"
          name="status"
          label="Status"
          value={status}
          anyLabel="All"
          options={CASE_STATUSES.map((s) => [s, STATUSES[s]] as const)}
        />
      </FilterForm>

      {items.length === 0 ? (
        <p className="mt-6 text-slate-700">No cases{status ? " with this status" : ""}.</p>
      ) : (
        <ul aria-label="Cases" className="mt-6 space-y-4">
          {items.map((item) => {
            const title = `${KINDS[item.kind]} · ${item.reference}`;
            return (
              <li
                key={item.id}
                aria-label={title}
                className="rounded-lg border border-slate-200 bg-white p-4"
              >
                <h2 className="text-lg font-semibold">{title}</h2>
                <p className="text-sm text-slate-700">
                  {item.user ? (
                    <Link
                      href={`/admin/users/${item.user.id}`}
                      className="text-brand-700 underline"
                    >
                      {item.user.displayName}
                    </Link>
                  ) : (
                    "Deleted account"
                  )}
                  {item.user && ` (${item.user.email})`}
                  {item.contactEmail && ` · contact ${item.contactEmail}`} · opened{" "}
                  <LocalTime value={item.createdAt} />
                </p>
                <p className="mt-1 text-sm">
                  Status: <strong>{STATUSES[item.status]}</strong> · Assigned to:{" "}
                  <strong>{item.assignee?.displayName ?? "nobody"}</strong>
                </p>
                {/* Text the person typed: rendered as text, never as HTML (R-A14.3). */}
                <blockquote className="mt-3 border-l-4 border-slate-300 pl-3 whitespace-pre-wrap">
                  {item.message}
                </blockquote>
                {item.signInEvent && (
                  <p className="mt-2 text-sm text-slate-700">
                    About: {RESULTS[item.signInEvent.result] ?? item.signInEvent.result},{" "}
                    <LocalTime value={item.signInEvent.at} />
                    {item.signInEvent.ip && `, IP ${item.signInEvent.ip}`}
                    {(item.signInEvent.city || item.signInEvent.countryName) &&
                      `, ${[item.signInEvent.city, item.signInEvent.countryName].filter(Boolean).join(", ")}`}
                  </p>
                )}
                {item.notes.length > 0 && (
                  <>
                    <h3 className="mt-3 font-medium">Notes</h3>
                    <ul className="mt-1 space-y-1 text-sm">
                      {item.notes.map((note) => (
                        <li key={note.id} className="whitespace-pre-wrap">
                          <span className="text-slate-600">
                            {note.author ?? "Former agent"}, <LocalTime value={note.createdAt} />:
                          </span>{" "}
                          {note.body}
                        </li>
                      ))}
                    </ul>
                  </>
                )}
                <div className="mt-4 flex flex-wrap items-end gap-4">
                  {item.assignee?.id !== agent.id && (
                    <form action={assignCaseToMeAction}>
                      <input type="hidden" name="caseId" value={item.id} />
                      <input type="hidden" name="filter" value={status ?? ""} />
                      <button
                        type="submit"
                        aria-label={`Assign to me: ${title}`}
                        className="rounded-md border border-slate-400 px-3 py-2"
                      >
                        Assign to me
                      </button>
                    </form>
                  )}
                  <form action={setCaseStatusAction} className="flex items-end gap-2">
                    <input type="hidden" name="caseId" value={item.id} />
                    <input type="hidden" name="filter" value={status ?? ""} />
                    <div className="space-y-1">
                      <label
                        htmlFor={`status-${item.id}`}
                        className="block text-sm font-medium text-slate-800"
                      >
                        Change status
                      </label>
                      <select
                        id={`status-${item.id}`}
                        name="status"
                        defaultValue={item.status}
                        className={field}
                      >
                        {CASE_STATUSES.map((s) => (
                          <option key={s} value={s}>
                            {STATUSES[s]}
                          </option>
                        ))}
                      </select>
                    </div>
                    <button
                      type="submit"
                      aria-label={`Update status: ${title}`}
                      className="rounded-md border border-slate-400 px-3 py-2"
                    >
                      Update status
                    </button>
                  </form>
                  <form action={addCaseNoteAction} className="flex grow items-end gap-2">
                    <input type="hidden" name="caseId" value={item.id} />
                    <input type="hidden" name="filter" value={status ?? ""} />
                    <div className="grow space-y-1">
                      <label
                        htmlFor={`note-${item.id}`}
                        className="block text-sm font-medium text-slate-800"
                      >
                        Note
                      </label>
                      <input
                        id={`note-${item.id}`}
                        name="note"
                        maxLength={2000}
                        required
                        className={`${field} w-full`}
                      />
                    </div>
                    <button
                      type="submit"
                      aria-label={`Add note: ${title}`}
                      className="rounded-md border border-slate-400 px-3 py-2"
                    >
                      Add note
                    </button>
                  </form>
                </div>
              </li>
            );
          })}
        </ul>
      )}
      {nextCursor && (
        <MoreLink href={listHref("", { status, before: nextCursor })}>Older cases</MoreLink>
      )}
    </>
  );
}
