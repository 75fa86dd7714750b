"use client";

export default function PortalError({
  reset,
}: {
  error: Error & { digest?: string };
  reset: () => void;
}) {
  return (
    <>
      <h1 className="text-3xl font-semibold">Something went wrong</h1>
      <p className="mt-4">
        Nothing was changed. Please try again; if it keeps happening, contact the helpdesk.
      </p>
      <button
        type="button"
        onClick={reset}
        className="mt-6 rounded-md bg-brand-700 px-4 py-2 font-semibold text-white"
      >
        Try again
      </button>
    </>
  );
}
