"use client";

import { useActionState } from "react";
import { Field } from "@/components/forms/field";
import { SubmitButton } from "@/components/forms/submit-button";
import { Alert } from "@/components/ui/alert";
import { primaryButton } from "@/components/ui/button-styles";
import { DialogTrigger } from "@/components/ui/dialog-trigger";
import type { Role } from "@/lib/auth/users";
import { agentIdle } from "../../agent-action-state";
import { createUserAction } from "../actions";

const ROLE_NAMES: Record<Role, string> = {
  user: "User",
  helpdesk: "Helpdesk agent",
  admin: "Administrator",
};

/** "Create user": shows the generated password once. */
export function CreateUserDialog({ roles }: { roles: readonly Role[] }) {
  const [state, formAction] = useActionState(createUserAction, agentIdle);
  const errors = state.status === "error" ? state.fieldErrors : undefined;
  const values = state.status === "error" ? state.values : undefined;
  return (
    <DialogTrigger label="Create user" title="Create user" className={primaryButton}>
      {state.status === "success" && (
        <div className="mb-4 space-y-2">
          <Alert kind="success">{state.message}</Alert>
          <p>
            Password:{" "}
            <code className="rounded bg-slate-100 px-2 py-1 font-mono text-lg" data-secret>
              {state.secret}
            </code>
          </p>
        </div>
      )}
      <form action={formAction} className="space-y-4">
        <Field
          label="Email"
          name="email"
          type="email"
          autoComplete="off"
          required
          defaultValue={values?.email}
          errors={errors?.email}
        />
        <Field
          label="Name"
          name="displayName"
          autoComplete="off"
          required
          defaultValue={values?.displayName}
          errors={errors?.displayName}
        />
        <div className="space-y-1">
          <label htmlFor="field-role" className="block text-sm font-medium text-slate-800">
            Role
          </label>
          <select
            id="field-role"
            name="role"
            defaultValue="user"
            aria-invalid={errors?.role ? true : undefined}
            aria-describedby={errors?.role ? "field-role-error" : undefined}
            className="block w-full rounded-md border border-slate-400 px-3 py-2"
          >
            {roles.map((role) => (
              <option key={role} value={role}>
                {ROLE_NAMES[role]}
              </option>
            ))}
          </select>
          {errors?.role && (
            <p id="field-role-error" className="text-sm font-medium text-red-700">
              {errors.role.join(" ")}
            </p>
          )}
        </div>
        <div className="flex items-center gap-2">
          <input
            id="field-mfaRequired"
            name="mfaRequired"
            type="checkbox"
            defaultChecked
            className="h-5 w-5"
          />
          <label htmlFor="field-mfaRequired">MFA required</label>
        </div>
        <SubmitButton pendingLabel="Creating…">Create</SubmitButton>
      </form>
    </DialogTrigger>
  );
}
