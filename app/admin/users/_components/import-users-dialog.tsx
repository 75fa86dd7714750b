"use client";

import { useActionState, useRef, useTransition } from "react";
import { Alert } from "@/components/ui/alert";
import { primaryButton, secondaryButton } from "@/components/ui/button-styles";
import { DialogTrigger } from "@/components/ui/dialog-trigger";
import { importUsersAction, type ImportState } from "../actions";

const idle: ImportState = { status: "idle" };

/**
 * "Import users" from CSV. "Check file" is the dry run: it lists every bad row and imports nothing;
 * "Import" checks again and imports all rows or none. The form is sent by hand so the
 * chosen file stays chosen between the two.
 */
export function ImportUsersDialog() {
  const [state, dispatch] = useActionState(importUsersAction, idle);
  const [pending, startTransition] = useTransition();
  const formRef = useRef<HTMLFormElement>(null);
  const send = (mode: "check" | "import") => {
    const form = formRef.current;
    if (!form || !form.reportValidity()) return;
    const data = new FormData(form);
    data.set("mode", mode);
    startTransition(() => dispatch(data));
  };
  return (
    <DialogTrigger label="Import users" title="Import users" className={secondaryButton}>
      <p className="mb-2 text-slate-700">
        A CSV file with the header <code>email,name,role,mfa_required</code>; role is user, helpdesk
        or admin, and mfa_required yes or no (blank means yes). At most 1,000 rows.
      </p>
      <p className="mb-4 text-slate-700">
        Imported accounts have no password: reset it or issue a Temporary Access Pass to let the
        person in.
      </p>
      <div aria-live="polite" className="mb-4 space-y-2">
        {state.status === "checked" && (
          <Alert kind="success">
            The file is ready: {state.rows} {state.rows === 1 ? "account" : "accounts"} to import.
          </Alert>
        )}
        {state.status === "imported" && (
          <Alert kind="success">
            Imported {state.created} {state.created === 1 ? "account" : "accounts"}.
          </Alert>
        )}
        {state.status === "error" && (
          <>
            <Alert kind="error">{state.message}</Alert>
            {state.problems.length > 0 && (
              <ul aria-label="Problems" className="list-disc space-y-1 pl-6">
                {state.problems.map((p, i) => (
                  <li key={i}>
                    {p.line > 0 ? `Line ${p.line}: ` : ""}
                    {p.problem}
                  </li>
                ))}
              </ul>
            )}
          </>
        )}
      </div>
      <form ref={formRef} onSubmit={(e) => e.preventDefault()} className="space-y-4">
        <div className="space-y-1">
          <label htmlFor="import-file" className="block text-sm font-medium text-slate-800">
            CSV file
          </label>
          <input
            id="import-file"
            name="file"
            type="file"
            accept=".csv,text/csv"
            required
            className="block w-full"
          />
        </div>
        <div className="flex flex-wrap gap-3">
          <button
            type="button"
            className={secondaryButton}
            disabled={pending}
            onClick={() => send("check")}
          >
            {pending ? "Working…" : "Check file"}
          </button>
          <button
            type="button"
            className={primaryButton}
            disabled={pending}
            onClick={() => send("import")}
          >
            Import
          </button>
        </div>
      </form>
    </DialogTrigger>
  );
}
