import { METHOD_KIND_INFO, type MethodKind } from "@/lib/mfa/registry";

/** A labelled list of the kinds of method a person may add, submitted as `method`. */
export function MethodKindSelect({
  id,
  label,
  kinds,
}: {
  id: string;
  label: string;
  kinds: readonly MethodKind[];
}) {
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block font-medium">
        {label}
      </label>
      <select
        id={id}
        name="method"
        className="block w-full rounded-md border border-slate-400 px-3 py-2"
      >
        {kinds.map((kind) => (
          <option key={kind} value={kind}>
            {METHOD_KIND_INFO[kind].chooserName}
          </option>
        ))}
      </select>
    </div>
  );
}
