"use client";

import { useActionState, useEffect, useRef } from "react";
import { SubmitButton } from "@/components/forms/submit-button";
import { Alert } from "@/components/ui/alert";
import { idle } from "@/lib/actions/form-action";
import { sendReportAction } from "../actions";

/** "What happened?" and "Send report"; the text comes back after an error, nothing else. */
export function ReportForm({ eventId, maxLength }: { eventId: number | null; maxLength: number }) {
  const [state, formAction] = useActionState(sendReportAction, idle);
  const messageRef = useRef<HTMLTextAreaElement>(null);
  const errors = state.status === "error" ? state.fieldErrors?.message : undefined;
  useEffect(() => {
    if (state.status === "error") messageRef.current?.focus();
  }, [state]);
  return (
    <form action={formAction} className="max-w-xl space-y-4" noValidate>
      {state.status === "error" && state.message && <Alert kind="error">{state.message}</Alert>}
      {eventId !== null && <input type="hidden" name="event" value={eventId} />}
      <div className="space-y-1">
        <label htmlFor="field-message" className="block text-sm font-medium text-slate-800">
          What happened?
        </label>
        <p id="field-message-hint" className="text-sm text-slate-600">
          For example: a sign-in you don&apos;t recognise, a code or call you didn&apos;t ask for,
          or a method you didn&apos;t add. Never include a password or a code.
        </p>
        <textarea
          ref={messageRef}
          id="field-message"
          name="message"
          rows={6}
          maxLength={maxLength}
          required
          aria-invalid={errors ? true : undefined}
          aria-describedby={["field-message-hint", errors && "field-message-error"]
            .filter(Boolean)
            .join(" ")}
          defaultValue={state.status === "error" ? state.values?.message : undefined}
          className={`block w-full rounded-md border px-3 py-2 text-base shadow-sm ${errors ? "border-red-700" : "border-slate-400"}`}
        />
        {errors && (
          <p id="field-message-error" className="text-sm font-medium text-red-700">
            {errors.join(" ")}
          </p>
        )}
      </div>
      <SubmitButton pendingLabel="Sending…">Send report</SubmitButton>
    </form>
  );
}
