import { DialogTrigger } from "@/components/ui/dialog-trigger";
import { primaryButton } from "@/components/ui/button-styles";
import type { MethodKind } from "@/lib/mfa/registry";
import { MethodKindSelect } from "./method-kind-select";

/** "I want to set up a different method": lists the kinds the person may set up. */
export function MethodChooser({ kinds }: { kinds: readonly MethodKind[] }) {
  return (
    <DialogTrigger
      label="I want to set up a different method"
      title="Choose a different method"
      className="text-brand-700 underline"
    >
      <form action="/register/start" method="get" className="space-y-4">
        <MethodKindSelect
          id="method-choice"
          label="Which method would you like to use?"
          kinds={kinds}
        />
        <button type="submit" className={primaryButton}>
          Confirm
        </button>
      </form>
    </DialogTrigger>
  );
}
