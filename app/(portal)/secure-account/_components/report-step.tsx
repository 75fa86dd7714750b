import { secondaryButton } from "@/components/ui/button-styles";
import { CASE_MESSAGE_MAX_LENGTH } from "@/lib/cases/report";
import { getEnv } from "@/lib/env";
import { skipReportAction } from "../actions";
import { EventField } from "./event-field";
import { ReportForm } from "./report-form";

/** Step 4: a report to the helpdesk, or skip it. */
export function ReportStep({ eventId }: { eventId: number | null }) {
  return (
    <>
      <p className="max-w-prose text-slate-700">
        Tell the {getEnv().ORG_NAME} helpdesk what you noticed. Your report
        {eventId !== null ? " and the sign-in you marked are" : " is"} sent to them as a case; they
        may contact you.
      </p>
      <div className="mt-6">
        <ReportForm eventId={eventId} maxLength={CASE_MESSAGE_MAX_LENGTH} />
      </div>
      <form action={skipReportAction} className="mt-4">
        <EventField eventId={eventId} />
        <button type="submit" className={secondaryButton}>
          Skip
        </button>
      </form>
    </>
  );
}
