"use client";

import { useActionState, useEffect, useRef } from "react";
import { SubmitButton } from "@/components/forms/submit-button";
import { Alert } from "@/components/ui/alert";
import { idle, type ActionState } from "@/lib/actions/form-action";

type MessageFormProps = {
  /** The field's id, unique on the page; its hint and error ids derive from it. */
  fieldId: string;
  label: string;
  hint: string;
  submitLabel: string;
  rows: number;
  maxLength: number;
  action: (previous: ActionState, formData: FormData) => Promise<ActionState>;
  /** Values the action needs besides the message (the sign-in a report is about). */
  hidden?: Record<string, string>;
  className?: string;
};

/**
 * One free-text message to the helpdesk. After an error the text comes back and takes the focus;
 * after a success the confirmation shows and the form is empty again.
 */
export function MessageForm({
  fieldId,
  label,
  hint,
  submitLabel,
  rows,
  maxLength,
  action,
  hidden,
  className = "max-w-xl space-y-4",
}: MessageFormProps) {
  const [state, formAction] = useActionState(action, idle);
  const messageRef = useRef<HTMLTextAreaElement>(null);
  const errors = state.status === "error" ? state.fieldErrors?.message : undefined;
  useEffect(() => {
    if (state.status === "error") messageRef.current?.focus();
  }, [state]);
  return (
    <form action={formAction} className={className} noValidate>
      {state.status === "error" && state.message && <Alert kind="error">{state.message}</Alert>}
      {state.status === "success" && <Alert kind="success">{state.message}</Alert>}
      {Object.entries(hidden ?? {}).map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
      <div className="space-y-1">
        <label htmlFor={fieldId} className="block text-sm font-medium text-slate-800">
          {label}
        </label>
        <p id={`${fieldId}-hint`} className="text-sm text-slate-600">
          {hint}
        </p>
        <textarea
          ref={messageRef}
          id={fieldId}
          name="message"
          rows={rows}
          maxLength={maxLength}
          required
          aria-invalid={errors ? true : undefined}
          aria-describedby={[`${fieldId}-hint`, errors && `${fieldId}-error`]
            .filter(Boolean)
            .join(" ")}
          defaultValue={state.status === "error" ? state.values?.message : undefined}
          className={`block w-full rounded-md border px-3 py-2 text-base shadow-sm ${errors ? "border-red-700" : "border-slate-400"}`}
        />
        {errors && (
          <p id={`${fieldId}-error`} className="text-sm font-medium text-red-700">
            {errors.join(" ")}
          </p>
        )}
      </div>
      <SubmitButton pendingLabel="Sending…">{submitLabel}</SubmitButton>
    </form>
  );
}
