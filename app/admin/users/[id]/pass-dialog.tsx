"use client";

import { useActionState, useId } from "react";
import { SubmitButton } from "@/components/forms/submit-button";
import { Alert } from "@/components/ui/alert";
import { DialogTrigger } from "@/components/ui/dialog-trigger";
import { agentIdle } from "../../agent-action-state";
import { issueAccessPassAction } from "./pass-actions";

/** "Issue Temporary Access Pass": a reason, an optional ticket, and the pass shown once. */
export function PassDialog({
  userId,
  lifetimeMinutes,
  activeUntil,
}: {
  userId: string;
  lifetimeMinutes: number;
  /** When the person already has a usable pass: it is revoked by a new one. */
  activeUntil: string | null;
}) {
  const [state, formAction] = useActionState(issueAccessPassAction, agentIdle);
  const id = useId();
  const errors = state.status === "error" ? state.fieldErrors : undefined;
  const reasonError = errors?.reason?.join(" ");
  const ticketError = errors?.ticket?.join(" ");
  return (
    <DialogTrigger label="Issue Temporary Access Pass" title="Issue Temporary Access Pass">
      <p className="mb-2 text-slate-700">
        Before you issue a pass, confirm who you are talking to: call them back on a number on
        record, or check with their manager. The pass lets them sign in once, within{" "}
        {lifetimeMinutes} minutes, to set up a sign-in method.
      </p>
      {activeUntil && (
        <p className="mb-2 text-slate-700">
          They already have a pass (until {activeUntil}); a new one replaces it.
        </p>
      )}
      {state.status === "success" && (
        <div className="mb-4 space-y-2">
          <Alert kind="success">{state.message}</Alert>
          {state.secret && (
            <p>
              Temporary Access Pass:{" "}
              <code className="rounded bg-slate-100 px-2 py-1 font-mono text-lg" data-secret>
                {state.secret}
              </code>
            </p>
          )}
        </div>
      )}
      {state.status === "error" && state.message && (
        <div className="mb-4">
          <Alert kind="error">{state.message}</Alert>
        </div>
      )}
      {state.status !== "success" && (
        <form action={formAction} className="space-y-4">
          <input type="hidden" name="userId" value={userId} />
          <div className="space-y-1">
            <label htmlFor={`${id}-reason`} className="block text-sm font-medium text-slate-800">
              Reason
            </label>
            <textarea
              id={`${id}-reason`}
              name="reason"
              required
              minLength={3}
              maxLength={500}
              rows={3}
              aria-invalid={reasonError ? true : undefined}
              aria-describedby={reasonError ? `${id}-reason-error` : undefined}
              className="block w-full rounded-md border border-slate-400 px-3 py-2"
            />
            {reasonError && (
              <p id={`${id}-reason-error`} className="text-sm font-medium text-red-700">
                {reasonError}
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
              aria-invalid={ticketError ? true : undefined}
              aria-describedby={ticketError ? `${id}-ticket-error` : undefined}
              className="block w-full rounded-md border border-slate-400 px-3 py-2"
            />
            {ticketError && (
              <p id={`${id}-ticket-error`} className="text-sm font-medium text-red-700">
                {ticketError}
              </p>
            )}
          </div>
          <SubmitButton pendingLabel="Issuing…">Confirm</SubmitButton>
        </form>
      )}
    </DialogTrigger>
  );
}
