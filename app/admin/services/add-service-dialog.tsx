"use client";

import { Field, SelectField } from "@/components/forms/field";
import { AddIntegrationDialog } from "../_components/add-integration-dialog";
import { AUDIENCES } from "../apps/app-choices";
import { createApiServiceAction, type ApiServiceFormState } from "./actions";
import { PASSWORD_CHOICES } from "./service-choices";

const initial: ApiServiceFormState = { status: "idle" };

/** "Add service": the form in a dialog; once saved, the API key, shown here once (R-A20.5). */
export function AddServiceDialog() {
  return (
    <AddIntegrationDialog
      label="Add service"
      action={createApiServiceAction}
      initial={initial}
      secretLabel="API key"
      secretNote="Copy it into the service's configuration now: it will not be shown again."
      pageOf={(state) => (state.serviceId ? `/admin/services/${state.serviceId}` : null)}
      linkText="Open the service's page"
      fields={(typed, errors) => (
        <>
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
        </>
      )}
    />
  );
}
