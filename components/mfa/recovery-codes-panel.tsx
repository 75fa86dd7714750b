"use client";

import { useActionState, useEffect, useRef, useState } from "react";
import { primaryButton, secondaryButton } from "@/components/ui/button-styles";

type RecoveryCodesPanelProps = {
  action: () => Promise<{ codes?: string[]; error?: string }>;
  /** The button that creates (or replaces) the codes. */
  buttonLabel: string;
};

/** Creates recovery codes on request and shows them once, to copy, download or print (R-A8.1). */
export function RecoveryCodesPanel({ action, buttonLabel }: RecoveryCodesPanelProps) {
  const [state, formAction, pending] = useActionState(action, {});
  const [copied, setCopied] = useState(false);
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (state.codes) headingRef.current?.focus();
  }, [state.codes]);

  if (state.codes) {
    const text = state.codes.join("\n");
    return (
      <section
        aria-labelledby="recovery-codes-heading"
        className="space-y-3 rounded-md border border-slate-300 bg-slate-50 p-4"
      >
        <h2
          id="recovery-codes-heading"
          ref={headingRef}
          tabIndex={-1}
          className="text-lg font-semibold"
        >
          Your recovery codes
        </h2>
        <p>
          Keep these somewhere safe, away from your phone. Each code works once. They are shown only
          now.
        </p>
        <ul aria-label="Recovery codes" className="grid grid-cols-2 gap-2 font-mono">
          {state.codes.map((code) => (
            <li key={code}>{code}</li>
          ))}
        </ul>
        <div className="flex flex-wrap items-center gap-3">
          <button
            type="button"
            className={secondaryButton}
            onClick={async () => {
              await navigator.clipboard.writeText(text);
              setCopied(true);
            }}
          >
            Copy codes
          </button>
          <a
            className={secondaryButton}
            download="recovery-codes.txt"
            href={`data:text/plain;charset=utf-8,${encodeURIComponent(text + "\n")}`}
          >
            Download codes
          </a>
          <button type="button" className={secondaryButton} onClick={() => window.print()}>
            Print codes
          </button>
          <span role="status">{copied ? "Codes copied" : ""}</span>
        </div>
      </section>
    );
  }
  return (
    <form action={formAction} className="space-y-2">
      {state.error && (
        <p role="alert" className="text-red-700">
          {state.error}
        </p>
      )}
      <button type="submit" className={primaryButton} disabled={pending}>
        {pending ? "Creating…" : buttonLabel}
      </button>
    </form>
  );
}
