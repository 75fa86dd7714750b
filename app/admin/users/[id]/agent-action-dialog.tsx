"use client";

import { useActionState, useId } from "react";
import { SubmitButton } from "@/components/forms/submit-button";
import { Alert } from "@/components/ui/alert";
import { DialogTrigger } from "@/components/ui/dialog-trigger";
import { OneTimeSecret } from "../../_components/one-time-secret";
import { agentIdle, type AgentActionState } from "../../agent-action-state";

type AgentActionDialogProps = {
  /** The button that opens the dialog, e.g. "Reset password". */
  label: string;
  accessibleLabel?: string;
  title: string;
  /** What confirming does, in a sentence or two. */
  description: React.ReactNode;
  /** What a secret the action returns is called, e.g. "Temporary password". */
  secretLabel?: string;
  /** Shows the secret with a copy button and this note (that it will not be shown again). */
  secretNote?: string;
  /** Hide the form once the action succeeded: a second confirm would replace what it made. */
  once?: boolean;
  pendingLabel?: string;
  action: (state: AgentActionState, formData: FormData) => Promise<AgentActionState>;
  /** The account acted on; absent for actions on something else (an application). */
  userId?: string;
  /** Hidden values the action needs besides the account (a method id, an application's id). */
  hidden?: Record<string, string>;
  /** More fields before the reason (a role to choose). */
  children?: React.ReactNode;
  className?: string;
};

/** An agent's action behind a dialog that asks for a reason and an optional ticket (R-A16.2). */
export function AgentActionDialog({
  label,
  accessibleLabel,
  title,
  description,
  secretLabel = "Temporary password",
  secretNote,
  once = false,
  pendingLabel = "Working…",
  action,
  userId,
  hidden,
  children,
  className,
}: AgentActionDialogProps) {
  const [state, formAction] = useActionState(action, agentIdle);
  const id = useId();
  const errors = state.status === "error" ? state.fieldErrors : undefined;
  const reasonError = errors?.reason?.join(" ");
  const ticketError = errors?.ticket?.join(" ");
  return (
    <DialogTrigger
      label={label}
      accessibleLabel={accessibleLabel}
      title={title}
      className={className}
    >
      <div className="mb-4 space-y-2 text-slate-700">{description}</div>
      {state.status === "success" && (
        <div className="mb-4 space-y-2">
          <Alert kind="success">{state.message}</Alert>
          {state.secret && secretNote && (
            <OneTimeSecret label={secretLabel} secret={state.secret} note={secretNote} />
          )}
          {state.secret && !secretNote && (
            <p>
              {secretLabel}:{" "}
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
      {(!once || state.status !== "success") && (
        <form action={formAction} className="space-y-4">
          {userId !== undefined && <input type="hidden" name="userId" value={userId} />}
          {Object.entries(hidden ?? {}).map(([name, value]) => (
            <input key={name} type="hidden" name={name} value={value} />
          ))}
          {children}
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
          <SubmitButton pendingLabel={pendingLabel}>Confirm</SubmitButton>
        </form>
      )}
    </DialogTrigger>
  );
}
