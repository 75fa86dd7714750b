"use client";

import Link from "next/link";
import { useActionState, useEffect, useRef } from "react";
import { Field } from "@/components/forms/field";
import { SubmitButton } from "@/components/forms/submit-button";
import { Alert } from "@/components/ui/alert";
import { idle } from "@/lib/actions/form-action";
import { signInWithAccessPassAction } from "./actions";

export function AccessPassForm({ callbackUrl }: { callbackUrl: string }) {
  const [state, formAction] = useActionState(signInWithAccessPassAction, idle);
  const passRef = useRef<HTMLInputElement>(null);
  const fieldErrors = state.status === "error" ? state.fieldErrors : undefined;

  // After a refusal, put the person back in the pass field, which was cleared.
  useEffect(() => {
    if (state.status === "error" && state.message) passRef.current?.focus();
  }, [state]);

  return (
    <form action={formAction} className="space-y-5" noValidate>
      {state.status === "error" && state.message && <Alert kind="error">{state.message}</Alert>}
      <input type="hidden" name="callbackUrl" value={callbackUrl} />
      <Field
        label="Email"
        name="email"
        type="email"
        autoComplete="username"
        inputMode="email"
        required
        defaultValue={state.status === "error" ? state.values?.email : undefined}
        errors={fieldErrors?.email}
      />
      <Field
        ref={passRef}
        label="Temporary Access Pass"
        name="pass"
        type="text"
        autoComplete="off"
        autoCapitalize="characters"
        spellCheck={false}
        hint="The pass the helpdesk gave you, for example ABCD-EFGH-JKMN-PQRS-TVWX."
        required
        errors={fieldErrors?.pass}
      />
      <div className="flex items-center justify-between gap-4">
        <Link href="/signin" className="text-brand-700 underline">
          Sign in with a password
        </Link>
        <SubmitButton pendingLabel="Signing in…">Sign in</SubmitButton>
      </div>
    </form>
  );
}
