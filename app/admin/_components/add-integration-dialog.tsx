"use client";

import Link from "next/link";
import { useActionState } from "react";
import { Alert } from "@/components/ui/alert";
import { primaryButton } from "@/components/ui/button-styles";
import { DialogTrigger } from "@/components/ui/dialog-trigger";
import type { AgentActionState } from "../agent-action-state";
import { OneTimeSecret } from "./one-time-secret";
import { ReasonForm } from "./reason-form";

/**
 * "Add …" for an integration whose secret the dialog shows: the form with its reason; once
 * saved, the new secret, shown here once and never again, and the way to the new page.
 */
export function AddIntegrationDialog<State extends AgentActionState>({
  label,
  action,
  initial,
  secretLabel,
  secretNote,
  pageOf,
  linkText,
  fields,
}: {
  /** The button and the dialog's title, e.g. "Add RADIUS client". */
  label: string;
  action: (state: Awaited<State>, formData: FormData) => Promise<State>;
  initial: Awaited<State>;
  secretLabel: string;
  secretNote: string;
  /** The new integration's page, when the answer names it. */
  pageOf: (state: Awaited<State>) => string | null;
  linkText: string;
  /** The kind's own fields, given what was typed and the problems with it. */
  fields: (
    typed: Record<string, string> | undefined,
    errors: Record<string, string[]> | undefined,
  ) => React.ReactNode;
}) {
  const [state, formAction] = useActionState(action, initial);
  const errors = state.status === "error" ? state.fieldErrors : undefined;
  const typed = state.status === "error" ? state.values : undefined;
  const page = pageOf(state);
  return (
    <DialogTrigger label={label} title={label} className={primaryButton}>
      {state.status === "success" && state.secret ? (
        <div className="space-y-4">
          <Alert kind="success">{state.message}</Alert>
          <OneTimeSecret label={secretLabel} secret={state.secret} note={secretNote} />
          {page && (
            <p>
              <Link href={page} className="text-brand-700 underline">
                {linkText}
              </Link>
            </p>
          )}
        </div>
      ) : (
        <ReasonForm state={state} action={formAction} resetKey={JSON.stringify(typed ?? {})}>
          {fields(typed, errors)}
        </ReasonForm>
      )}
    </DialogTrigger>
  );
}
