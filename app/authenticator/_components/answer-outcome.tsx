import { Alert } from "@/components/ui/alert";
import { secondaryButton } from "@/components/ui/button-styles";
import type { AnswerResult } from "@/lib/mfa/companion-protocol";
import { LOCKED_TEXT } from "./messages";

const RESULTS: Record<AnswerResult, { kind: "success" | "error" | "info"; text: string }> = {
  approved: { kind: "success", text: "Approved. You can go back to your browser." },
  "wrong-number": {
    kind: "error",
    text: "That number didn't match the one in your browser, so the request was denied. Start again in your browser.",
  },
  "wrong-pin": { kind: "error", text: "Wrong PIN." },
  "pin-locked": { kind: "error", text: `${LOCKED_TEXT} The request was denied.` },
  denied: { kind: "info", text: "Denied. Nobody was signed in." },
  expired: { kind: "error", text: "This request has expired. Start again in your browser." },
  gone: { kind: "info", text: "This request was already answered." },
  refused: { kind: "error", text: "This phone couldn't answer the request. Pair it again." },
};

/** The same answers to a helpdesk agent's request: nobody signs in, the agent is told. */
const HELPDESK_RESULTS: Partial<
  Record<AnswerResult, { kind: "success" | "error" | "info"; text: string }>
> = {
  approved: { kind: "success", text: "Approved. The helpdesk can see that it's you." },
  "wrong-number": {
    kind: "error",
    text: "That number didn't match the one the helpdesk read, so the request was denied. Ask them to send another.",
  },
  denied: { kind: "info", text: "Denied. The helpdesk can see that you didn't approve." },
  expired: { kind: "error", text: "This request has expired. Ask the helpdesk to send another." },
};

/** What an answer did, until the person has read it and pressed OK. */
export function AnswerOutcome({
  result,
  reported,
  helpdesk = false,
  onDone,
}: {
  result: AnswerResult;
  reported: boolean;
  /** The answer was to a helpdesk agent's request, not to a sign-in. */
  helpdesk?: boolean;
  onDone: () => void;
}) {
  const shown = (helpdesk && HELPDESK_RESULTS[result]) || RESULTS[result];
  const reportedText = helpdesk
    ? "Reported. Requests to this phone are paused for an hour. If you didn't call the helpdesk, someone may be pretending to be you: tell them on a number you know."
    : "Reported. Requests to this phone are paused for an hour. Change your password soon: someone may know it.";
  return (
    <div className="mt-4 space-y-3">
      <Alert kind={shown.kind}>{reported ? reportedText : shown.text}</Alert>
      <button type="button" className={secondaryButton} onClick={onDone}>
        OK
      </button>
    </div>
  );
}
