"use client";

/** Unexpected failures: a generic message, never the error's text (R-A17.6). */
export default function ErrorPage({
  reset,
}: {
  error: Error & { digest?: string };
  reset: () => void;
}) {
  return (
    <main id="main" tabIndex={-1} className="mx-auto max-w-xl px-4 py-16">
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
    </main>
  );
}
