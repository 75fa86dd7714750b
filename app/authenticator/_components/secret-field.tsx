/** A labelled password-type input with its error, for the portal password or an app PIN. */
export function SecretField({
  id,
  label,
  value,
  error,
  autoComplete,
  onChange,
  pin = false,
}: {
  id: string;
  label: string;
  value: string;
  error: string | null;
  autoComplete: string;
  onChange: (value: string) => void;
  /** An app PIN: digits only, at most 12. */
  pin?: boolean;
}) {
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block text-sm font-medium text-slate-800">
        {label}
      </label>
      <input
        id={id}
        type="password"
        inputMode={pin ? "numeric" : undefined}
        autoComplete={autoComplete}
        maxLength={pin ? 12 : undefined}
        value={value}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        onChange={(event) => onChange(event.target.value)}
        className={`block ${pin ? "w-48" : "w-full max-w-sm"} rounded-md border border-slate-400 px-3 py-2 text-lg`}
      />
      {error && (
        <p id={`${id}-error`} role="alert" className="text-sm font-medium text-red-700">
          {error}
        </p>
      )}
    </div>
  );
}
