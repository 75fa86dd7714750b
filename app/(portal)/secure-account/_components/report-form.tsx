import { MessageForm } from "@/components/forms/message-form";
import { sendReportAction } from "../actions";

/** "What happened?" and "Send report"; the text comes back after an error, nothing else. */
export function ReportForm({ eventId, maxLength }: { eventId: number | null; maxLength: number }) {
  return (
    <MessageForm
      fieldId="field-message"
      label="What happened?"
      hint="For example: a sign-in you don't recognise, a code or call you didn't ask for, or a method you didn't add. Never include a password or a code."
      submitLabel="Send report"
      rows={6}
      maxLength={maxLength}
      action={sendReportAction}
      hidden={eventId !== null ? { event: String(eventId) } : undefined}
    />
  );
}
