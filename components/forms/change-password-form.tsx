"use client";

import { useActionState, useEffect, useRef } from "react";
import { Field } from "@/components/forms/field";
import { SubmitButton } from "@/components/forms/submit-button";
import { Alert } from "@/components/ui/alert";
import { idle, type ActionState } from "@/lib/actions/form-action";

type ChangePasswordFormProps = {
  action: (previous: ActionState, formData: FormData) => Promise<ActionState>;
  /** Hidden fields and options the page adds after the fields (never a secret). */
  children?: React.ReactNode;
  /** For the hint only: the input is never cut short in the browser (R-A2.5). */
  minLength: number;
};

/**
 * "Current password", "New password", "Confirm new password" and "Next". Nothing typed is ever
 * sent back; after an error the first field in error takes focus.
 */
export function ChangePasswordForm({ action, children, minLength }: ChangePasswordFormProps) {
  const [state, formAction] = useActionState(action, idle);
  const formRef = useRef<HTMLFormElement>(null);
  const fieldErrors = state.status === "error" ? state.fieldErrors : undefined;

  useEffect(() => {
    if (state.status !== "error") return;
    formRef.current?.querySelector<HTMLInputElement>('input[aria-invalid="true"]')?.focus();
  }, [state]);

  return (
    <form ref={formRef} action={formAction} className="max-w-md space-y-5" noValidate>
      {state.status === "error" && state.message && <Alert kind="error">{state.message}</Alert>}
      <Field
        label="Current password"
        name="currentPassword"
        type="password"
        autoComplete="current-password"
        required
        errors={fieldErrors?.currentPassword}
      />
      <Field
        label="New password"
        name="newPassword"
        type="password"
        autoComplete="new-password"
        required
        hint={`At least ${minLength} characters. A few unrelated words make a strong password that is easy to remember. Common passwords, and ones containing your name, email or the organisation's name, are refused.`}
        errors={fieldErrors?.newPassword}
      />
      <Field
        label="Confirm new password"
        name="confirmPassword"
        type="password"
        autoComplete="new-password"
        required
        errors={fieldErrors?.confirmPassword}
      />
      {children}
      <SubmitButton pendingLabel="Changing your password…">Next</SubmitButton>
    </form>
  );
}
