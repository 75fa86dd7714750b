import { DialogTrigger } from "@/components/ui/dialog-trigger";
import { primaryButton } from "@/components/ui/button-styles";
import { METHOD_KIND_INFO, METHOD_KINDS } from "@/lib/mfa/registry";

/** "I want to set up a different method": lists every enabled kind of method. */
export function MethodChooser() {
  return (
    <DialogTrigger
      label="I want to set up a different method"
      title="Choose a different method"
      className="text-brand-700 underline"
    >
      <form action="/register/start" method="get" className="space-y-4">
        <div className="space-y-1">
          <label htmlFor="method-choice" className="block font-medium">
            Which method would you like to use?
          </label>
          <select
            id="method-choice"
            name="method"
            className="block w-full rounded-md border border-slate-400 px-3 py-2"
          >
            {METHOD_KINDS.map((kind) => (
              <option key={kind} value={kind}>
                {METHOD_KIND_INFO[kind].chooserName}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className={primaryButton}>
          Confirm
        </button>
      </form>
    </DialogTrigger>
  );
}
