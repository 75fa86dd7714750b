"use client";

import { useActionState, useEffect, useRef } from "react";
import { Field } from "@/components/forms/field";
import { SubmitButton } from "@/components/forms/submit-button";
import { Alert } from "@/components/ui/alert";
import { idle } from "@/lib/actions/form-action";
import { verifyAction } from "./actions";
import { RememberBrowserField } from "./remember-browser-field";

type VerifyFormProps = {
  option: string;
  methodId: string | null;
  fieldLabel: string;
  inputMode: "numeric" | "text";
  rememberDays: number | null;
};

export function VerifyForm({
  option,
  methodId,
  fieldLabel,
  inputMode,
  rememberDays,
}: VerifyFormProps) {
  const [state, formAction] = useActionState(verifyAction, idle);
  const codeRef = useRef<HTMLInputElement>(null);
  const fieldErrors = state.status === "error" ? state.fieldErrors : undefined;

  useEffect(() => {
    if (state.status === "error") codeRef.current?.focus();
  }, [state]);

  return (
    <form action={formAction} className="space-y-5" noValidate>
      {state.status === "error" && state.message && <Alert kind="error">{state.message}</Alert>}
      <input type="hidden" name="option" value={option} />
      {methodId && <input type="hidden" name="method" value={methodId} />}
      <Field
        ref={codeRef}
        label={fieldLabel}
        name="code"
        type="text"
        inputMode={inputMode}
        autoComplete="one-time-code"
        autoCapitalize="off"
        spellCheck={false}
        maxLength={inputMode === "numeric" ? 10 : 40}
        required
        autoFocus
        errors={fieldErrors?.code}
      />
      {rememberDays !== null && <RememberBrowserField days={rememberDays} />}
      <SubmitButton pendingLabel="Verifying…">Verify</SubmitButton>
    </form>
  );
}
