const control = "block rounded-md border border-slate-400 bg-white px-3 py-2";

type Common = {
  id: string;
  name: string;
  label: string;
  /** The filter as the address has it; unset shows "any". */
  value: string | undefined;
  className?: string;
};

type Select = Common & {
  /** The first option, which sets no filter: "Any", "All", "All actions". */
  anyLabel: string;
  options: readonly (readonly [value: string, label: string])[];
};

type Input = Common & { type?: "text" | "date" };

/** One labelled filter above a console list: a choice, or text or a date to match. */
export function FilterField(props: Select | Input) {
  const { id, name, label, value, className = "" } = props;
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block text-sm font-medium text-slate-800">
        {label}
      </label>
      {"options" in props ? (
        <select
          id={id}
          name={name}
          defaultValue={value ?? ""}
          className={`${control} ${className}`}
        >
          <option value="">{props.anyLabel}</option>
          {props.options.map(([option, text]) => (
            <option key={option} value={option}>
              {text}
            </option>
          ))}
        </select>
      ) : (
        <input
          id={id}
          name={name}
          type={props.type}
          defaultValue={value}
          className={`${control} ${className}`}
        />
      )}
    </div>
  );
}
