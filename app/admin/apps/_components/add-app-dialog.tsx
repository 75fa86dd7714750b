"use client";

import { useActionState, useEffect } from "react";
import { useRouter } from "next/navigation";
import { Alert } from "@/components/ui/alert";
import { primaryButton } from "@/components/ui/button-styles";
import { DialogTrigger } from "@/components/ui/dialog-trigger";
import { ReasonForm } from "../../_components/reason-form";
import { createAppAction } from "../actions";
import { NEW_APP_VALUES, type AppFormValues } from "../app-choices";
import type { AppFormState } from "../app-form-data";
import { AppFields } from "./app-fields";
import { useRevealedSecret } from "./revealed-secret";

const initial: AppFormState = { status: "idle" };

/** "Add application": the form in a dialog; once saved, the new app's page with its secret. */
export function AddAppDialog() {
  const [state, formAction] = useActionState(createAppAction, initial);
  const { hand } = useRevealedSecret();
  const router = useRouter();
  useEffect(() => {
    if (state.status !== "success" || !state.appId) return;
    if (state.secret) hand({ appId: state.appId, secret: state.secret });
    router.push(`/admin/apps/${state.appId}`);
  }, [state, hand, router]);
  const errors = state.status === "error" ? state.fieldErrors : undefined;
  const typed = state.status === "error" ? state.values : undefined;
  const values = { ...NEW_APP_VALUES, ...typed } as AppFormValues;
  return (
    <DialogTrigger label="Add application" title="Add application" className={primaryButton}>
      {state.status === "success" ? (
        <Alert kind="success">{state.message}</Alert>
      ) : (
        <ReasonForm state={state} action={formAction} resetKey={JSON.stringify(typed ?? {})}>
          <AppFields values={values} errors={errors} editing={false} />
        </ReasonForm>
      )}
    </DialogTrigger>
  );
}
