"use client";

import { useActionState, useEffect, useRef } from "react";
import { BackButton } from "@/components/forms/back-button";
import { Field } from "@/components/forms/field";
import { SubmitButton } from "@/components/forms/submit-button";
import { Alert } from "@/components/ui/alert";
import { idle } from "@/lib/actions/form-action";
import { confirmEnrolmentAction } from "../../actions";

export function CodeForm() {
  const [state, formAction] = useActionState(confirmEnrolmentAction, idle);
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
      />
      <div className="flex justify-between gap-4">
        <BackButton href="/register/app/scan" />
        <SubmitButton pendingLabel="Checking…">Next</SubmitButton>
      </div>
    </form>
  );
}
