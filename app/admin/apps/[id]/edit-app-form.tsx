"use client";

import { useActionState } from "react";
import { ReasonForm } from "../../_components/reason-form";
import { AppFields } from "../_components/app-fields";
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
    // Keyed by what it shows: after a save or an error it remounts with the stored or typed values.
    <ReasonForm
      state={state}
      action={formAction}
      resetKey={JSON.stringify(shown)}
      className="max-w-2xl space-y-4"
    >
      <input type="hidden" name="appId" value={appId} />
      <AppFields values={shown} errors={errors} editing />
    </ReasonForm>
  );
}
