"use client";

import { useActionState, useId } from "react";
import { Alert } from "@/components/ui/alert";
import { primaryButton, secondaryButton } from "@/components/ui/button-styles";
import { importTokensAction, type ImportState } from "../actions";

const initial: ImportState = { status: "idle" };

/** Paste or choose the vendor CSV; "Check file" is a dry run, "Import tokens" needs a reason. */
export function ImportForm() {
  const [state, formAction, pending] = useActionState(importTokensAction, initial);
  const id = useId();
  const errors = state.status === "error" ? state.fieldErrors : undefined;
  const problems = state.preview?.problems ?? [];
  const rows = state.preview?.rows ?? [];
  return (
    <form action={formAction} className="space-y-5" noValidate>
      {state.status === "error" && state.message && <Alert kind="error">{state.message}</Alert>}
      {state.status === "success" && state.message && <Alert kind="success">{state.message}</Alert>}
      {problems.length > 0 && (
        <ul aria-label="Problems" className="list-disc space-y-1 pl-6 text-red-800">
          {problems.map((p) => (
            <li key={`${p.line}-${p.message}`}>{p.message}</li>
          ))}
        </ul>
      )}
      {rows.length > 0 && state.imported === undefined && (
        <table className="w-full text-left text-sm">
          <caption className="mb-2 text-left font-medium">Tokens in the file</caption>
          <thead>
            <tr>
              <th scope="col">Line</th>
              <th scope="col">Serial number</th>
              <th scope="col">Model</th>
              <th scope="col">Interval</th>
              <th scope="col">Assign to</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.line}>
                <td>{r.line}</td>
                <td>{r.serialNumber}</td>
                <td>{[r.manufacturer, r.model].filter(Boolean).join(" ")}</td>
                <td>{r.periodSeconds} s</td>
                <td>{r.email ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="space-y-1">
        <label htmlFor={`${id}-csv`} className="block text-sm font-medium text-slate-800">
          Tokens CSV
        </label>
        <p id={`${id}-csv-hint`} className="text-sm text-slate-600">
          First line: upn,serial number,secret key,time interval,manufacturer,model. Leave upn blank
          for tokens nobody holds yet. The secret keys are never sent back to this page: give the
          file again to import it after a check.
        </p>
        <textarea
          id={`${id}-csv`}
          name="csv"
          rows={8}
          spellCheck={false}
          aria-invalid={errors?.csv ? true : undefined}
          aria-describedby={[`${id}-csv-hint`, errors?.csv ? `${id}-csv-error` : ""]
            .filter(Boolean)
            .join(" ")}
          className="block w-full rounded-md border border-slate-400 px-3 py-2 font-mono text-sm"
        />
        {errors?.csv && (
          <p id={`${id}-csv-error`} className="text-sm font-medium text-red-700">
            {errors.csv.join(" ")}
          </p>
        )}
      </div>
      <div className="space-y-1">
        <label htmlFor={`${id}-file`} className="block text-sm font-medium text-slate-800">
          Or choose the CSV file
        </label>
        <input id={`${id}-file`} name="file" type="file" accept=".csv,text/csv" />
      </div>
      <div className="space-y-1">
        <label htmlFor={`${id}-reason`} className="block text-sm font-medium text-slate-800">
          Reason
        </label>
        <input
          id={`${id}-reason`}
          name="reason"
          maxLength={500}
          aria-invalid={errors?.reason ? true : undefined}
          aria-describedby={errors?.reason ? `${id}-reason-error` : undefined}
          className="block w-full rounded-md border border-slate-400 px-3 py-2"
        />
        {errors?.reason && (
          <p id={`${id}-reason-error`} className="text-sm font-medium text-red-700">
            {errors.reason.join(" ")}
          </p>
        )}
      </div>
      <div className="space-y-1">
        <label htmlFor={`${id}-ticket`} className="block text-sm font-medium text-slate-800">
          Ticket ID (optional)
        </label>
        <input
          id={`${id}-ticket`}
          name="ticket"
          maxLength={64}
          className="block w-full rounded-md border border-slate-400 px-3 py-2"
        />
      </div>
      <div className="flex gap-3">
        <button
          type="submit"
          name="intent"
          value="check"
          disabled={pending}
          className={secondaryButton}
        >
          Check file
        </button>
        <button
          type="submit"
          name="intent"
          value="import"
          disabled={pending}
          className={primaryButton}
        >
          Import tokens
        </button>
      </div>
    </form>
  );
}
