import Link from "next/link";
import { primaryButton, secondaryButton } from "@/components/ui/button-styles";
import { LocalTime } from "@/components/ui/local-time";
import type { SecureAccountProgress } from "@/lib/auth/secure-account";
import { getEnv } from "@/lib/env";

/** The end: what was done, read back from the database. */
export function DoneStep({ progress }: { progress: SecureAccountProgress }) {
  return (
    <>
      <p className="max-w-prose text-slate-700">Here is what was done. We also emailed you.</p>
      <ul aria-label="What was done" className="mt-4 list-disc space-y-2 pl-6">
        {progress.passwordChangedAt && (
          <li>
            Your password was changed (<LocalTime value={progress.passwordChangedAt} />
            ).
          </li>
        )}
        <li>
          {progress.sessionsEnded === 1
            ? "1 sign-in was ended"
            : `${progress.sessionsEnded} sign-ins were ended`}{" "}
          on your browsers and devices, and no browser skips verification any more.
        </li>
        <li>
          {progress.methodsRemoved === 0
            ? "No sign-in method was deleted."
            : progress.methodsRemoved === 1
              ? "1 sign-in method was deleted."
              : `${progress.methodsRemoved} sign-in methods were deleted.`}
        </li>
        {progress.recoveryCodesRegenerated && (
          <li>New recovery codes were created; the old ones no longer work.</li>
        )}
        {progress.caseReferences.length > 0 ? (
          <li>
            Your report was sent to the helpdesk. Reference:{" "}
            <strong>{progress.caseReferences.join(", ")}</strong>.
          </li>
        ) : (
          <li>No report was sent to the helpdesk.</li>
        )}
      </ul>
      <p className="mt-6 max-w-prose text-slate-700">
        Update the password saved in your other apps (mail, VPN, wifi). If something still looks
        wrong, contact the helpdesk at{" "}
        <a className="text-brand-700 underline" href={`mailto:${getEnv().HELPDESK_EMAIL}`}>
          {getEnv().HELPDESK_EMAIL}
        </a>
        .
      </p>
      <div className="mt-6 flex flex-wrap gap-3">
        <Link href="/security-info" className={primaryButton}>
          Go to Security info
        </Link>
        <Link href="/devices" className={secondaryButton}>
          See your devices
        </Link>
      </div>
    </>
  );
}
