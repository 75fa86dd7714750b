import type { TextareaHTMLAttributes } from "react";

type TextAreaFieldProps = {
  label: string;
  name: string;
  errors?: string[];
  hint?: string;
} & Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, "name" | "id">;

/** A labelled text area with its hint and error tied to it, as `Field` does for inputs. */
export function TextAreaField({
  label,
  name,
  errors,
  hint,
  className,
  ...rest
}: TextAreaFieldProps) {
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
      <textarea
        id={id}
        name={name}
        aria-invalid={errorId ? true : undefined}
        aria-describedby={[hintId, errorId].filter(Boolean).join(" ") || undefined}
        className={`block w-full rounded-md border px-3 py-2 font-mono text-sm shadow-sm focus:border-brand-600 ${
          errorId ? "border-red-700" : "border-slate-400"
        } ${className ?? ""}`}
        {...rest}
      />
      {errorId && (
        <ul id={errorId} className="space-y-1 text-sm font-medium text-red-700">
          {errors!.map((error) => (
            <li key={error}>{error}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
