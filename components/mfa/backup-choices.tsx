import { secondaryButton } from "@/components/ui/button-styles";
import { METHOD_KIND_INFO, type MethodKind } from "@/lib/mfa/registry";

/** One button per kind of backup a person may add, each submitting its kind as `method`. */
export function BackupChoices({ kinds }: { kinds: readonly MethodKind[] }) {
  return (
    <form
      action="/register/start"
      method="get"
      role="group"
      aria-label="Backup methods"
      className="flex flex-wrap gap-3"
    >
      {kinds.map((kind) => (
        <button key={kind} type="submit" name="method" value={kind} className={secondaryButton}>
          {METHOD_KIND_INFO[kind].chooserName}
        </button>
      ))}
    </form>
  );
}
