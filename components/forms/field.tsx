import type { InputHTMLAttributes, Ref } from "react";

type FieldProps = {
  label: string;
  name: string;
  errors?: string[];
  hint?: string;
  ref?: Ref<HTMLInputElement>;
} & Omit<InputHTMLAttributes<HTMLInputElement>, "name" | "id">;

/** A labelled input whose hint and error text are tied to it and announced (WCAG 1.3.1, 3.3.1). */
export function Field({ label, name, errors, hint, className, ...input }: FieldProps) {
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
      <input
        id={id}
        name={name}
        aria-invalid={errorId ? true : undefined}
        aria-describedby={[hintId, errorId].filter(Boolean).join(" ") || undefined}
        className={`block w-full rounded-md border px-3 py-2 text-base shadow-sm focus:border-brand-600 ${
          errorId ? "border-red-700" : "border-slate-400"
        } ${className ?? ""}`}
        {...input}
      />
      {errorId && (
        <p id={errorId} className="text-sm font-medium text-red-700">
          {errors!.join(" ")}
        </p>
      )}
    </div>
  );
}
