"use client";

import { useActionState, useEffect, useRef } from "react";
import { BackButton } from "@/components/forms/back-button";
import { Field } from "@/components/forms/field";
import { SubmitButton } from "@/components/forms/submit-button";
import { Alert } from "@/components/ui/alert";
import { idle, type ActionState } from "@/lib/actions/form-action";

type CodeFormProps = {
  action: (previous: ActionState, formData: FormData) => Promise<ActionState>;
  backHref: string;
};

/** The wizard's "Enter code" step: one code field, "Back" and "Next". */
export function CodeForm({ action, backHref }: CodeFormProps) {
  const [state, formAction] = useActionState(action, idle);
  const codeRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (state.status === "error") codeRef.current?.focus();
  }, [state]);
  return (
    <form action={formAction} className="space-y-5" noValidate>
      {state.status === "error" && state.message && <Alert kind="error">{state.message}</Alert>}
      <Field
        ref={codeRef}
        label="Code"
        name="code"
        inputMode="numeric"
        autoComplete="one-time-code"
        maxLength={10}
        required
        autoFocus
        errors={state.status === "error" ? state.fieldErrors?.code : undefined}
      />
      <div className="flex justify-between gap-4">
        <BackButton href={backHref} />
        <SubmitButton pendingLabel="Checking…">Next</SubmitButton>
      </div>
    </form>
  );
}
