"use client";

import { useActionState } from "react";
import { Field } from "@/components/forms/field";
import { SubmitButton } from "@/components/forms/submit-button";
import { idle } from "@/lib/actions/form-action";
import { completePasswordResetAction } from "../actions";

/** The new password, twice; the server checks it against the password policy. */
export function ResetPasswordForm({ hint }: { hint: string }) {
  const [state, formAction] = useActionState(completePasswordResetAction, idle);
  const errors = state.status === "error" ? state.fieldErrors : undefined;
  return (
    <form action={formAction} className="space-y-4" noValidate>
      <Field
        label="New password"
        name="newPassword"
        type="password"
        autoComplete="new-password"
        hint={hint}
        errors={errors?.newPassword}
      />
      <Field
        label="Confirm new password"
        name="confirmPassword"
        type="password"
        autoComplete="new-password"
        errors={errors?.confirmPassword}
      />
      <SubmitButton pendingLabel="Resetting…">Finish</SubmitButton>
    </form>
  );
}
