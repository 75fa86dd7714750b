"use client";

import { useActionState, useEffect, useRef } from "react";
import { SubmitButton } from "@/components/forms/submit-button";
import { Alert } from "@/components/ui/alert";
import { idle, type ActionState } from "@/lib/actions/form-action";

type HelpRequestFormProps = {
  maxLength: number;
  /** Sends the request as whoever the page serves (signed in, or registering). */
  action: (previous: ActionState, formData: FormData) => Promise<ActionState>;
};

/** "How can we help?" and "Send request"; a sent request is confirmed and the form emptied. */
export function HelpRequestForm({ maxLength, action }: HelpRequestFormProps) {
  const [state, formAction] = useActionState(action, idle);
  const messageRef = useRef<HTMLTextAreaElement>(null);
  const errors = state.status === "error" ? state.fieldErrors?.message : undefined;
  useEffect(() => {
    if (state.status === "error") messageRef.current?.focus();
  }, [state]);
  return (
    <form action={formAction} className="mt-4 max-w-xl space-y-4" noValidate>
      {state.status === "error" && state.message && <Alert kind="error">{state.message}</Alert>}
      {state.status === "success" && <Alert kind="success">{state.message}</Alert>}
      <div className="space-y-1">
        <label htmlFor="field-help-message" className="block text-sm font-medium text-slate-800">
          How can we help?
        </label>
        <p id="field-help-message-hint" className="text-sm text-slate-600">
          Tell us which phones or devices you can use, if any. Never include a password or a code.
        </p>
        <textarea
          ref={messageRef}
          id="field-help-message"
          name="message"
          rows={4}
          maxLength={maxLength}
          required
          aria-invalid={errors ? true : undefined}
          aria-describedby={["field-help-message-hint", errors && "field-help-message-error"]
            .filter(Boolean)
            .join(" ")}
          defaultValue={state.status === "error" ? state.values?.message : undefined}
          className={`block w-full rounded-md border px-3 py-2 text-base shadow-sm ${errors ? "border-red-700" : "border-slate-400"}`}
        />
        {errors && (
          <p id="field-help-message-error" className="text-sm font-medium text-red-700">
            {errors.join(" ")}
          </p>
        )}
      </div>
      <SubmitButton pendingLabel="Sending…">Send request</SubmitButton>
    </form>
  );
}
