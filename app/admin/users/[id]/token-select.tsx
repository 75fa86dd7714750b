/** The free tokens to choose from in "Assign hardware token". */
export function TokenSelect({
  tokens,
}: {
  tokens: { id: string; serialNumber: string; model: string | null }[];
}) {
  return (
    <div className="space-y-1">
      <label htmlFor="assign-token" className="block text-sm font-medium text-slate-800">
        Hardware token
      </label>
      <select
        id="assign-token"
        name="tokenId"
        required
        className="block w-full rounded-md border border-slate-400 px-3 py-2"
      >
        {tokens.map((token) => (
          <option key={token.id} value={token.id}>
            {token.serialNumber}
            {token.model ? ` (${token.model})` : ""}
          </option>
        ))}
      </select>
    </div>
  );
}
