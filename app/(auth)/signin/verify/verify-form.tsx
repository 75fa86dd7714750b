"use client";

import Link from "next/link";
import { useActionState, useEffect, useRef } from "react";
import { Field } from "@/components/forms/field";
import { SubmitButton } from "@/components/forms/submit-button";
import { Alert } from "@/components/ui/alert";
import { idle } from "@/lib/actions/form-action";
import { verifyAction } from "./actions";

type VerifyFormProps = {
  option: string;
  fieldLabel: string;
  inputMode: "numeric" | "text";
  rememberDays: number | null;
  hasOtherWays: boolean;
};

export function VerifyForm({
  option,
  fieldLabel,
  inputMode,
  rememberDays,
  hasOtherWays,
}: VerifyFormProps) {
  const [state, formAction] = useActionState(verifyAction, idle);
  const codeRef = useRef<HTMLInputElement>(null);
  const fieldErrors = state.status === "error" ? state.fieldErrors : undefined;

  useEffect(() => {
    if (state.status === "error") codeRef.current?.focus();
  }, [state]);

  return (
    <form action={formAction} className="space-y-5" noValidate>
      {state.status === "error" && state.message && <Alert kind="error">{state.message}</Alert>}
      <input type="hidden" name="option" value={option} />
      <Field
        ref={codeRef}
        label={fieldLabel}
        name="code"
        type="text"
        inputMode={inputMode}
        autoComplete="one-time-code"
        autoCapitalize="off"
        spellCheck={false}
        maxLength={inputMode === "numeric" ? 10 : 40}
        required
        autoFocus
        errors={fieldErrors?.code}
      />
      {rememberDays !== null && (
        <div className="flex items-center gap-2">
          <input id="remember-browser" name="rememberBrowser" type="checkbox" className="h-5 w-5" />
          <label htmlFor="remember-browser">Don&apos;t ask again for {rememberDays} days</label>
        </div>
      )}
      <div className="flex items-center justify-between gap-4">
        {hasOtherWays ? (
          <Link href="/signin/verify/another-way" className="text-brand-700 underline">
            Sign in another way
          </Link>
        ) : (
          <span />
        )}
        <SubmitButton pendingLabel="Verifying…">Verify</SubmitButton>
      </div>
    </form>
  );
}
