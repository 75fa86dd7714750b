"use client";

import { useActionState } from "react";
import { BackButton } from "@/components/forms/back-button";
import { Field } from "@/components/forms/field";
import { SubmitButton } from "@/components/forms/submit-button";
import { Alert } from "@/components/ui/alert";
import { idle } from "@/lib/actions/form-action";
import { beginEnrolmentAction } from "../../actions";

export function SetupForm() {
  const [state, formAction] = useActionState(beginEnrolmentAction, idle);
  return (
    <form action={formAction} className="space-y-5">
      {state.status === "error" && state.message && <Alert kind="error">{state.message}</Alert>}
      <Field
        label="Device name"
        name="deviceName"
        hint="So you can tell your devices apart later, for example “iPhone”."
        defaultValue="Authenticator app"
        maxLength={40}
        autoComplete="off"
        errors={state.status === "error" ? state.fieldErrors?.deviceName : undefined}
      />
      <div className="flex justify-between gap-4">
        <BackButton href="/register" />
        <SubmitButton pendingLabel="Preparing…">Next</SubmitButton>
      </div>
    </form>
  );
}
