"use client";

import Link from "next/link";
import { useActionState, useEffect, useRef } from "react";
import { Field } from "@/components/forms/field";
import { SubmitButton } from "@/components/forms/submit-button";
import { Alert } from "@/components/ui/alert";
import { idle } from "@/lib/actions/form-action";
import { signInAction } from "./actions";

export function SignInForm({ callbackUrl, notice }: { callbackUrl: string; notice?: string }) {
  const [state, formAction] = useActionState(signInAction, idle);
  const passwordRef = useRef<HTMLInputElement>(null);
  const fieldErrors = state.status === "error" ? state.fieldErrors : undefined;

  // After a failed attempt, put the person back in the password field, which was cleared.
  useEffect(() => {
    if (state.status === "error" && state.message) passwordRef.current?.focus();
  }, [state]);

  return (
    <form action={formAction} className="space-y-5" noValidate>
      {state.status === "error" && state.message && <Alert kind="error">{state.message}</Alert>}
      {notice && state.status === "idle" && <Alert kind="info">{notice}</Alert>}
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
        ref={passwordRef}
        label="Password"
        name="password"
        type="password"
        autoComplete="current-password"
        required
        errors={fieldErrors?.password}
      />
      <div className="flex items-center justify-between gap-4">
        <Link href="/reset-password" className="text-brand-700 underline">
          Forgot my password
        </Link>
        <SubmitButton pendingLabel="Signing in…">Sign in</SubmitButton>
      </div>
      <p>
        <SubmitButton name="intent" value="phone" variant="secondary" pendingLabel="Sending…">
          Approve a request on my Authenticator app
        </SubmitButton>
      </p>
      <p>
        <Link
          href={`/signin/access-pass?callbackUrl=${encodeURIComponent(callbackUrl)}`}
          className="text-brand-700 underline"
        >
          Use a Temporary Access Pass
        </Link>
      </p>
    </form>
  );
}
