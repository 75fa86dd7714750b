import { ChangePasswordForm } from "@/components/forms/change-password-form";
import { PASSWORD_MIN_LENGTH } from "@/lib/auth/password-policy";
import { changePasswordStepAction } from "../actions";
import { EventField } from "./event-field";

/** Step 1: a new password, which also signs out every other browser and device. */
export function PasswordStep({ eventId }: { eventId: number | null }) {
  return (
    <>
      <p className="max-w-prose text-slate-700">
        If someone else knows your password, changing it locks them out. Changing it also signs you
        out on every browser and device, and this browser is signed in again straight away.
      </p>
      <div className="mt-6">
        <ChangePasswordForm action={changePasswordStepAction} minLength={PASSWORD_MIN_LENGTH}>
          <EventField eventId={eventId} />
        </ChangePasswordForm>
      </div>
    </>
  );
}
