"use client";

import { useActionState } from "react";
import { Field, SelectField } from "@/components/forms/field";
import { primaryButton } from "@/components/ui/button-styles";
import { DialogTrigger } from "@/components/ui/dialog-trigger";
import { AddedWithSecret } from "../_components/added-with-secret";
import { ReasonForm } from "../_components/reason-form";
import { AUDIENCES } from "../apps/app-choices";
import { createApiServiceAction, type ApiServiceFormState } from "./actions";
import { PASSWORD_CHOICES } from "./service-choices";

const initial: ApiServiceFormState = { status: "idle" };

/** "Add service": the form in a dialog; once saved, the API key, shown here once (R-A20.5). */
export function AddServiceDialog() {
  const [state, formAction] = useActionState(createApiServiceAction, initial);
  const errors = state.status === "error" ? state.fieldErrors : undefined;
  const typed = state.status === "error" ? state.values : undefined;
  return (
    <DialogTrigger label="Add service" title="Add service" className={primaryButton}>
      {state.status === "success" && state.secret ? (
        <AddedWithSecret
          message={state.message}
          secret={state.secret}
          secretLabel="API key"
          note="Copy it into the service's configuration now: it will not be shown again."
          href={state.serviceId ? `/admin/services/${state.serviceId}` : null}
          linkText="Open the service's page"
        />
      ) : (
        <ReasonForm state={state} action={formAction} resetKey={JSON.stringify(typed ?? {})}>
          <Field
            label="Name"
            name="name"
            required
            maxLength={60}
            autoComplete="off"
            hint='What My sign-ins shows, as "Service (name)", and what the phone asks about.'
            defaultValue={typed?.name}
            errors={errors?.name}
          />
          <SelectField
            label="Who can use it"
            name="allowedRoles"
            options={AUDIENCES}
            defaultValue={typed?.allowedRoles ?? "everyone"}
            errors={errors?.allowedRoles}
          />
          <SelectField
            label="Password"
            name="passwordRequired"
            options={PASSWORD_CHOICES}
            hint="Leave it required unless the service has already proven who the person is, as an SSH server has with their key before asking Factor for the second factor."
            defaultValue={typed?.passwordRequired ?? "yes"}
            errors={errors?.passwordRequired}
          />
        </ReasonForm>
      )}
    </DialogTrigger>
  );
}
