"use client";

import { useId, useState } from "react";
import { secondaryButton } from "@/components/ui/button-styles";

/**
 * A secret shown once (a client secret): labelled for assistive technology, selectable, with a
 * copy button and a note that it will not be shown again.
 */
export function OneTimeSecret({
  label,
  secret,
  note,
}: {
  /** What the secret is, e.g. "Client secret". */
  label: string;
  secret: string;
  note: string;
}) {
  const id = useId();
  const [copied, setCopied] = useState<"copied" | "failed" | null>(null);
  return (
    <div className="space-y-3 rounded-md border border-amber-600 bg-amber-50 p-4">
      <dl>
        <dt id={`${id}-label`} className="font-medium">
          {label}
        </dt>
        <dd
          aria-labelledby={`${id}-label`}
          aria-describedby={`${id}-note`}
          className="font-mono text-lg break-all select-all"
          data-secret
        >
          {secret}
        </dd>
      </dl>
      <p id={`${id}-note`} className="text-sm text-slate-800">
        {note}
      </p>
      <div className="flex flex-wrap items-center gap-3">
        <button
          type="button"
          className={secondaryButton}
          onClick={async () => {
            try {
              await navigator.clipboard.writeText(secret);
              setCopied("copied");
            } catch {
              setCopied("failed");
            }
          }}
        >
          Copy {label.toLowerCase()}
        </button>
        <span role="status" className="text-sm">
          {copied === "copied"
            ? `${label} copied`
            : copied === "failed"
              ? "Couldn't copy it: select it and copy it yourself."
              : ""}
        </span>
      </div>
    </div>
  );
}
