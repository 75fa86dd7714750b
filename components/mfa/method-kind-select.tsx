import { METHOD_KIND_INFO, METHOD_KINDS } from "@/lib/mfa/registry";

/** A labelled list of every enabled kind of method, submitted as `method`. */
export function MethodKindSelect({ id, label }: { id: string; label: string }) {
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
        {METHOD_KINDS.map((kind) => (
          <option key={kind} value={kind}>
            {METHOD_KIND_INFO[kind].chooserName}
          </option>
        ))}
      </select>
    </div>
  );
}
