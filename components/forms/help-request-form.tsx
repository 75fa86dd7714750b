import type { ActionState } from "@/lib/actions/form-action";
import { MessageForm } from "./message-form";

/** "How can we help?" and "Send request"; a sent request is confirmed and the form emptied. */
export function HelpRequestForm({
  maxLength,
  action,
}: {
  maxLength: number;
  /** Sends the request as whoever the page serves (signed in, or registering). */
  action: (previous: ActionState, formData: FormData) => Promise<ActionState>;
}) {
  return (
    <MessageForm
      fieldId="field-help-message"
      label="How can we help?"
      hint="Tell us which phones or devices you can use, if any. Never include a password or a code."
      submitLabel="Send request"
      rows={4}
      maxLength={maxLength}
      action={action}
      className="mt-4 max-w-xl space-y-4"
    />
  );
}
