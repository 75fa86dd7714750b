"use client";

import { useActionState } from "react";
import { Field, SelectField } from "@/components/forms/field";
import { primaryButton } from "@/components/ui/button-styles";
import { DialogTrigger } from "@/components/ui/dialog-trigger";
import { AddedWithSecret } from "../_components/added-with-secret";
import { ReasonForm } from "../_components/reason-form";
import { AUDIENCES } from "../apps/app-choices";
import { createRadiusClientAction, type RadiusClientFormState } from "./actions";

const initial: RadiusClientFormState = { status: "idle" };

/**
 * "Add RADIUS client": the form in a dialog; once saved, the shared secret, shown here once and
 * never again (R-A20.1).
 */
export function AddRadiusClientDialog() {
  const [state, formAction] = useActionState(createRadiusClientAction, initial);
  const errors = state.status === "error" ? state.fieldErrors : undefined;
  const typed = state.status === "error" ? state.values : undefined;
  return (
    <DialogTrigger label="Add RADIUS client" title="Add RADIUS client" className={primaryButton}>
      {state.status === "success" && state.secret ? (
        <AddedWithSecret
          message={state.message}
          secret={state.secret}
          secretLabel="Shared secret"
          note="Copy it into the VPN's or proxy's RADIUS settings now: it will not be shown again."
          href={state.clientId ? `/admin/radius/${state.clientId}` : null}
          linkText="Open the client's page"
        />
      ) : (
        <ReasonForm state={state} action={formAction} resetKey={JSON.stringify(typed ?? {})}>
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
        </ReasonForm>
      )}
    </DialogTrigger>
  );
}
