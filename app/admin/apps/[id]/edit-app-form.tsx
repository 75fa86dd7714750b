"use client";

import { useActionState } from "react";
import { SubmitButton } from "@/components/forms/submit-button";
import { Alert } from "@/components/ui/alert";
import { AppFields } from "../_components/app-fields";
import { ReasonFields } from "../_components/reason-fields";
import type { AppFormValues } from "../app-choices";
import type { AppFormState } from "../app-form-data";
import { updateAppAction } from "./actions";

const initial: AppFormState = { status: "idle" };

/** The app's settings, to change with a reason. */
export function EditAppForm({ appId, values }: { appId: string; values: AppFormValues }) {
  const [state, formAction] = useActionState(updateAppAction, initial);
  const errors = state.status === "error" ? state.fieldErrors : undefined;
  const typed = state.status === "error" ? state.values : undefined;
  const shown = { ...values, ...typed } as AppFormValues;
  return (
    // Keyed by what it shows: after a save or an error it remounts with the stored or typed
    // values, since React resets a form after its action.
    <form
      key={JSON.stringify(shown)}
      action={formAction}
      className="max-w-2xl space-y-4"
      noValidate
    >
      {state.status === "error" && state.message && <Alert kind="error">{state.message}</Alert>}
      {state.status === "success" && state.message && <Alert kind="success">{state.message}</Alert>}
      <input type="hidden" name="appId" value={appId} />
      <AppFields values={shown} errors={errors} editing />
      <ReasonFields values={typed} errors={errors} />
      <SubmitButton pendingLabel="Saving…">Save</SubmitButton>
    </form>
  );
}
