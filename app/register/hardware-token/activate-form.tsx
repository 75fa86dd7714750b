"use client";

import { useActionState, useEffect, useRef } from "react";
import { Field } from "@/components/forms/field";
import { SubmitButton } from "@/components/forms/submit-button";
import { Alert } from "@/components/ui/alert";
import { idle } from "@/lib/actions/form-action";
import { activateTokenAction } from "./actions";

/** The code a token shows now, for the token chosen (or the only one). */
export function ActivateForm({
  tokens,
}: {
  tokens: { id: string; serialNumber: string; model: string | null }[];
}) {
  const [state, formAction] = useActionState(activateTokenAction, idle);
  const codeRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (state.status === "error") codeRef.current?.focus();
  }, [state]);
  return (
    <form action={formAction} className="space-y-5" noValidate>
      {state.status === "error" && state.message && <Alert kind="error">{state.message}</Alert>}
      {tokens.length === 1 ? (
        <>
          <input type="hidden" name="tokenId" value={tokens[0]!.id} />
          <p>
            Serial number: <strong>{tokens[0]!.serialNumber}</strong>
            {tokens[0]!.model && ` (${tokens[0]!.model})`}
          </p>
        </>
      ) : (
        <div className="space-y-1">
          <label htmlFor="token-choice" className="block text-sm font-medium text-slate-800">
            Which token?
          </label>
          <select
            id="token-choice"
            name="tokenId"
            className="block w-full rounded-md border border-slate-400 px-3 py-2"
          >
            {tokens.map((t) => (
              <option key={t.id} value={t.id}>
                {t.serialNumber}
                {t.model ? ` (${t.model})` : ""}
              </option>
            ))}
          </select>
        </div>
      )}
      <Field
        ref={codeRef}
        label="Code"
        name="code"
        inputMode="numeric"
        autoComplete="one-time-code"
        maxLength={10}
        required
        errors={state.status === "error" ? state.fieldErrors?.code : undefined}
      />
      <div className="flex justify-end">
        <SubmitButton pendingLabel="Activating…">Activate</SubmitButton>
      </div>
    </form>
  );
}
