"use client";

import { useActionState } from "react";
import { SubmitButton } from "@/components/forms/submit-button";
import { Alert } from "@/components/ui/alert";
import { idle } from "@/lib/actions/form-action";
import { resendPhoneAction } from "./actions";

/** "Resend code" / "Call me again" for the phone being registered, with the outcome announced. */
export function ResendForm({ channel, label }: { channel: "sms" | "voice"; label: string }) {
  const [state, formAction] = useActionState(resendPhoneAction, idle);
  return (
    <form action={formAction} className="mt-6 space-y-3">
      <input type="hidden" name="channel" value={channel} />
      {state.status === "error" && state.message && <Alert kind="error">{state.message}</Alert>}
      {state.status === "success" && state.message && <Alert kind="success">{state.message}</Alert>}
      <SubmitButton variant="secondary" pendingLabel="Sending…">
        {label}
      </SubmitButton>
    </form>
  );
}
