import { Alert } from "@/components/ui/alert";
import { dangerButton } from "@/components/ui/button-styles";
import { signOutEverywhereStepAction } from "../actions";
import { EventField } from "./event-field";

/** Step 2: sign out everywhere once more, for anything that signed in since the change. */
export function SignOutStep({ eventId }: { eventId: number | null }) {
  return (
    <>
      <Alert kind="success">Your password was changed.</Alert>
      <p className="mt-4 max-w-prose text-slate-700">
        Every browser and device that was signed in to your account has been signed out, and
        browsers where someone chose &ldquo;Don&apos;t ask again&rdquo; must verify again. Sign out
        everywhere once more to end anything that signed in since, then review your security info.
      </p>
      <form action={signOutEverywhereStepAction} className="mt-6">
        <EventField eventId={eventId} />
        <button type="submit" className={dangerButton}>
          Sign out everywhere
        </button>
      </form>
    </>
  );
}
