import {
  CALLER_CODE_MAX_FAILURES,
  CALLER_METHOD_NAMES,
  type CallerVerificationView,
} from "@/lib/admin/caller-verification";

const clockTime = new Intl.DateTimeFormat("en-GB", { timeStyle: "short", timeZone: "UTC" });

/** A time of day as the console shows one: "14:02 UTC", with the exact value for machines. */
function At({ value }: { value: Date }) {
  return <time dateTime={value.toISOString()}>{clockTime.format(value)} UTC</time>;
}

const FAILED: Record<NonNullable<CallerVerificationView["failed"]>["how"], string> = {
  denied: "the request to their app was denied",
  reported: "they answered “This wasn't me” to the request to their app",
  failed: `the caller read ${CALLER_CODE_MAX_FAILURES} wrong codes`,
};

/**
 * What every agent sees of the caller checks on a person's page: "Verified by push at 14:02 UTC
 * by …", and a check that failed since.
 */
export function CallerVerificationStatus({
  view,
  stillNeeded,
}: {
  view: CallerVerificationView;
  /** The organisation requires the agent's own check before a reset, and they have none. */
  stillNeeded: boolean;
}) {
  const { verified, failed } = view;
  if (!verified && !failed) return null;
  return (
    <div className="mb-4 space-y-1">
      {verified && (
        <p className="font-medium text-green-900">
          Verified by {CALLER_METHOD_NAMES[verified.method]} at <At value={verified.at} />
          {verified.agent && ` by ${verified.byYou ? "you" : verified.agent}`}; it counts until{" "}
          <At value={verified.until} />.
          {stillNeeded &&
            !verified.byYou &&
            " It proves who was on their call, not yours: verify the caller yourself before a password reset, a pass or an MFA reset."}
        </p>
      )}
      {failed && (
        <p className="font-medium text-red-800">
          Not verified: {FAILED[failed.how]} at <At value={failed.at} />
          {failed.agent && ` (checked by ${failed.agent})`}.
          {failed.how === "reported" && " The caller may not be who they say."}
        </p>
      )}
    </div>
  );
}
