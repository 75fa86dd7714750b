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
        <div className="space-y-4">
          <Alert kind="success">{state.message}</Alert>
          <OneTimeSecret
            label="API key"
            secret={state.secret}
            note="Copy it into the service's configuration now: it will not be shown again."
          />
          {state.serviceId && (
            <p>
              <Link
                href={`/admin/services/${state.serviceId}`}
                className="text-brand-700 underline"
              >
                Open the service&apos;s page
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
          <ReasonFields values={typed} errors={errors} />
          <SubmitButton pendingLabel="Saving…">Save</SubmitButton>
        </form>
      )}
    </DialogTrigger>
  );
}
