import { SubmitButton } from "@/components/forms/submit-button";
import { SendCountdown } from "@/components/mfa/send-countdown";
import { resendPhoneAction } from "./actions";

type ResendFormProps = {
  channel: "sms" | "voice";
  label: string;
  /** Set when the last send was held back: the seconds until the next may go. */
  waitSeconds: number | null;
};

/** "Resend code" / "Call me again" for the phone being registered; held back, a countdown first. */
export function ResendForm({ channel, label, waitSeconds }: ResendFormProps) {
  return (
    <form action={resendPhoneAction} className="mt-6">
      <input type="hidden" name="channel" value={channel} />
      {waitSeconds === null ? (
        <SubmitButton variant="secondary" pendingLabel="Sending…">
          {label}
        </SubmitButton>
      ) : (
        <SendCountdown key={waitSeconds} seconds={waitSeconds} channel={channel} label={label} />
      )}
    </form>
  );
}
