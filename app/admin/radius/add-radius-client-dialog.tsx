"use client";

import Link from "next/link";
import { useActionState } from "react";
import { Field, SelectField } from "@/components/forms/field";
import { SubmitButton } from "@/components/forms/submit-button";
import { Alert } from "@/components/ui/alert";
import { primaryButton } from "@/components/ui/button-styles";
import { DialogTrigger } from "@/components/ui/dialog-trigger";
import { OneTimeSecret } from "../_components/one-time-secret";
import { ReasonFields } from "../apps/_components/reason-fields";
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
        <div className="space-y-4">
          <Alert kind="success">{state.message}</Alert>
          <OneTimeSecret
            label="Shared secret"
            secret={state.secret}
            note="Copy it into the VPN's or proxy's RADIUS settings now: it will not be shown again."
          />
          {state.clientId && (
            <p>
              <Link href={`/admin/radius/${state.clientId}`} className="text-brand-700 underline">
                Open the client&apos;s page
              </Link>
            </p>
          )}
        </div>
      ) : (
        // Keyed by what was typed: a form remounts with it, as React resets a form after its action.
        <form
          key={JSON.stringify(typed ?? {})}
          action={formAction}
          className="space-y-4"
          noValidate
        >
          {state.status === "error" && state.message && <Alert kind="error">{state.message}</Alert>}
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
          <ReasonFields values={typed} errors={errors} />
          <SubmitButton pendingLabel="Saving…">Save</SubmitButton>
        </form>
      )}
    </DialogTrigger>
  );
}
