"use client";

import { Field, SelectField } from "@/components/forms/field";
import { AddIntegrationDialog } from "../_components/add-integration-dialog";
import { AUDIENCES } from "../apps/app-choices";
import { createRadiusClientAction, type RadiusClientFormState } from "./actions";

const initial: RadiusClientFormState = { status: "idle" };

/**
 * "Add RADIUS client": the form in a dialog; once saved, the shared secret, shown here once and
 * never again (R-A20.1).
 */
export function AddRadiusClientDialog() {
  return (
    <AddIntegrationDialog
      label="Add RADIUS client"
      action={createRadiusClientAction}
      initial={initial}
      secretLabel="Shared secret"
      secretNote="Copy it into the VPN's or proxy's RADIUS settings now: it will not be shown again."
      pageOf={(state) => (state.clientId ? `/admin/radius/${state.clientId}` : null)}
      linkText="Open the client's page"
      fields={(typed, errors) => (
        <>
          <Field
            label="Name"
            name="name"
            required
            maxLength={60}
            autoComplete="off"
            hint='What My sign-ins shows, as "VPN (name)", and what the phone asks about.'
            defaultValue={typed?.name}
            errors={errors?.name}
          />
          <Field
            label="Address"
            name="address"
            required
            maxLength={64}
            autoComplete="off"
            hint="The address the client's requests come from: one IP address, or a CIDR block such as 192.0.2.0/24."
            defaultValue={typed?.address}
            errors={errors?.address}
          />
          <SelectField
            label="Who can use it"
            name="allowedRoles"
            options={AUDIENCES}
            defaultValue={typed?.allowedRoles ?? "everyone"}
            errors={errors?.allowedRoles}
          />
        </>
      )}
    />
  );
}
