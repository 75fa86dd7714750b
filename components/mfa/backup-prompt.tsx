import { primaryButton } from "@/components/ui/button-styles";
import type { BackupStatus } from "@/lib/mfa/backup";

/**
 * The reminder on Overview and Security info while a person has one way in (R-A9.7). The button
 * checks the second factor's age before the backup step opens.
 */
export function BackupPrompt({
  status,
  action,
}: {
  status: BackupStatus;
  action: () => Promise<void>;
}) {
  if (!status.asked) return null;
  return (
    <section
      aria-labelledby="backup-prompt-heading"
      className="mt-6 rounded-lg border border-amber-300 bg-amber-50 p-4"
    >
      <h2 id="backup-prompt-heading" className="text-lg font-semibold">
        You have only one way to sign in
      </h2>
      <p className="mt-1">
        {status.required ? "Your organisation requires a backup method. " : ""}
        If you lose or replace the device you use now, a backup method keeps you from being locked
        out.
      </p>
      <form action={action} className="mt-3">
        <button type="submit" className={primaryButton}>
          Add a backup method
        </button>
      </form>
    </section>
  );
}
