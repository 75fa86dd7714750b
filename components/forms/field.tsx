import type {
  InputHTMLAttributes,
  ReactNode,
  Ref,
  SelectHTMLAttributes,
  TextareaHTMLAttributes,
} from "react";

type Labelled = {
  label: string;
  name: string;
  errors?: string[];
  hint?: string;
};

/** What a control needs to be tied to its label, hint and error. */
type ControlProps = {
  id: string;
  name: string;
  "aria-invalid": true | undefined;
  "aria-describedby": string | undefined;
  borderClass: string;
};

/**
 * A label, a hint and an error around one control, each tied to it and announced (WCAG 1.3.1,
 * 3.3.1). Several errors (one per line of a text area) are listed.
 */
function LabelledControl({
  label,
  name,
  errors,
  hint,
  control,
}: Labelled & { control: (props: ControlProps) => ReactNode }) {
  const id = `field-${name}`;
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = errors?.length ? `${id}-error` : undefined;
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block text-sm font-medium text-slate-800">
        {label}
      </label>
      {hint && (
        <p id={hintId} className="text-sm text-slate-600">
          {hint}
        </p>
      )}
      {control({
        id,
        name,
        "aria-invalid": errorId ? true : undefined,
        "aria-describedby": [hintId, errorId].filter(Boolean).join(" ") || undefined,
        borderClass: errorId ? "border-red-700" : "border-slate-400",
      })}
      {errorId &&
        (errors!.length > 1 ? (
          <ul id={errorId} className="space-y-1 text-sm font-medium text-red-700">
            {errors!.map((error) => (
              <li key={error}>{error}</li>
            ))}
          </ul>
        ) : (
          <p id={errorId} className="text-sm font-medium text-red-700">
            {errors![0]}
          </p>
        ))}
    </div>
  );
}

type FieldProps = Labelled & {
  ref?: Ref<HTMLInputElement>;
} & Omit<InputHTMLAttributes<HTMLInputElement>, "name" | "id">;

/** A labelled input whose hint and error text are tied to it and announced. */
export function Field({ label, name, errors, hint, className, ...input }: FieldProps) {
  return (
    <LabelledControl
      {...{ label, name, errors, hint }}
      control={({ borderClass, ...tied }) => (
        <input
          {...tied}
          className={`block w-full rounded-md border px-3 py-2 text-base shadow-sm focus:border-brand-600 ${borderClass} ${className ?? ""}`}
          {...input}
        />
      )}
    />
  );
}

type TextAreaFieldProps = Labelled &
  Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, "name" | "id">;

/** A labelled text area, as `Field` is for inputs. */
export function TextAreaField({
  label,
  name,
  errors,
  hint,
  className,
  ...rest
}: TextAreaFieldProps) {
  return (
    <LabelledControl
      {...{ label, name, errors, hint }}
      control={({ borderClass, ...tied }) => (
        <textarea
          {...tied}
          className={`block w-full rounded-md border px-3 py-2 font-mono text-sm shadow-sm focus:border-brand-600 ${borderClass} ${className ?? ""}`}
          {...rest}
        />
      )}
    />
  );
}

type SelectFieldProps = Labelled & {
  options: readonly { value: string; label: string }[];
} & Omit<SelectHTMLAttributes<HTMLSelectElement>, "name" | "id">;

/** A labelled native select, as `Field` is for inputs. */
export function SelectField({ label, name, errors, hint, options, ...rest }: SelectFieldProps) {
  return (
    <LabelledControl
      {...{ label, name, errors, hint }}
      control={({ borderClass, ...tied }) => (
        <select
          {...tied}
          className={`block w-full rounded-md border bg-white px-3 py-2 ${borderClass}`}
          {...rest}
        >
          {options.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      )}
    />
  );
}
