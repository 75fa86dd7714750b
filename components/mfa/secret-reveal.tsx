"use client";

import { useState } from "react";
import { secondaryButton } from "@/components/ui/button-styles";

/** "Can't scan the image?": shows the account name and the base32 key, with a copy button. */
export function SecretReveal({ account, secret }: { account: string; secret: string }) {
  const [shown, setShown] = useState(false);
  const [copied, setCopied] = useState(false);
  const grouped = secret.match(/.{1,4}/g)!.join(" ");
  return (
    <div className="space-y-3">
      <button
        type="button"
        aria-expanded={shown}
        aria-controls="manual-entry"
        className="text-brand-700 underline"
        onClick={() => setShown((value) => !value)}
      >
        Can&apos;t scan the image?
      </button>
      <div
        id="manual-entry"
        hidden={!shown}
        className="space-y-3 rounded-md border border-slate-300 bg-slate-50 p-4"
      >
        <p>In the app, choose to enter a key by hand and type:</p>
        <dl className="space-y-2">
          <div>
            <dt className="font-medium" id="account-name-label">
              Account name
            </dt>
            <dd aria-labelledby="account-name-label" className="font-mono">
              {account}
            </dd>
          </div>
          <div>
            <dt className="font-medium" id="secret-key-label">
              Secret key
            </dt>
            <dd
              aria-labelledby="secret-key-label"
              className="select-all font-mono text-lg tracking-wider"
            >
              {grouped}
            </dd>
          </div>
        </dl>
        <div className="flex items-center gap-3">
          <button
            type="button"
            className={secondaryButton}
            onClick={async () => {
              await navigator.clipboard.writeText(secret);
              setCopied(true);
            }}
          >
            Copy secret key
          </button>
          <span role="status">{copied ? "Secret key copied" : ""}</span>
        </div>
      </div>
    </div>
  );
}
