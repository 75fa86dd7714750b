import { primaryButton } from "./button-styles";

/** The generic failure message: never the error's own text (R-A17.6). */
export function SomethingWentWrong({ reset }: { reset: () => void }) {
  return (
    <>
      <h1 className="text-3xl font-semibold">Something went wrong</h1>
      <p className="mt-4">
        Nothing was changed. Please try again; if it keeps happening, contact the helpdesk.
      </p>
      <button type="button" onClick={reset} className={`mt-6 ${primaryButton}`}>
        Try again
      </button>
    </>
  );
}
