/** The code the token's holder reads out, in the agent's activation dialog. */
export function CodeField({ id }: { id: string }) {
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block text-sm font-medium text-slate-800">
        Code
      </label>
      <input
        id={id}
        name="code"
        inputMode="numeric"
        autoComplete="off"
        maxLength={10}
        required
        className="block w-full rounded-md border border-slate-400 px-3 py-2"
      />
    </div>
  );
}
