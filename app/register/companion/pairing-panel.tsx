"use client";

import { QueryClient, QueryClientProvider, useQuery } from "@tanstack/react-query";
import { useActionState, useState } from "react";
import { SubmitButton } from "@/components/forms/submit-button";
import { QrCode } from "@/components/mfa/qr-code";
import { Alert } from "@/components/ui/alert";
import { fetchInBackground } from "@/lib/security/background-request";
import { CodeForm } from "../code-form";
import { beginPairingAction, confirmPairingAction, type PairingLinkState } from "./actions";

type PairingState = "waiting" | "paired" | "expired";

/** Shows the one-time pairing link as a QR code, waits for the phone, then asks for its code. */
export function PairingPanel() {
  const [client] = useState(() => new QueryClient());
  return (
    <QueryClientProvider client={client}>
      <Panel />
    </QueryClientProvider>
  );
}

function Panel() {
  const [state, formAction] = useActionState<PairingLinkState>(beginPairingAction, {
    status: "idle",
  });
  if (state.status !== "ready") {
    return (
      <form action={formAction} className="space-y-4">
        {state.status === "error" && <Alert kind="error">{state.message}</Alert>}
        <SubmitButton pendingLabel="Preparing…">Show QR code</SubmitButton>
      </form>
    );
  }
  return <Waiting key={state.link} link={state.link} onRetry={formAction} />;
}

function Waiting({ link, onRetry }: { link: string; onRetry: () => void }) {
  const [shown, setShown] = useState(false);
  const { data } = useQuery({
    queryKey: ["pairing", link],
    queryFn: async (): Promise<PairingState> => {
      const response = await fetchInBackground("/register/companion/status");
      if (!response.ok) return "expired";
      return ((await response.json()) as { state: PairingState }).state;
    },
    refetchInterval: (query) =>
      query.state.data === "waiting" || !query.state.data ? 2000 : false,
    refetchIntervalInBackground: true,
  });
  const state = data ?? "waiting";

  if (state === "paired") {
    return (
      <div className="space-y-4">
        <h2 className="text-xl font-semibold">Enter code</h2>
        <p>Your phone is paired. Enter the 6-digit code the Authenticator app shows.</p>
        <CodeForm action={confirmPairingAction} backHref="/security-info" />
      </div>
    );
  }
  if (state === "expired") {
    return (
      <form action={onRetry} className="space-y-4">
        <Alert kind="error">The QR code has expired. Show a new one and scan it.</Alert>
        <SubmitButton pendingLabel="Preparing…">Show a new QR code</SubmitButton>
      </form>
    );
  }
  return (
    <div className="space-y-4">
      <h2 className="text-xl font-semibold">Scan the QR code</h2>
      <p>Scan it with your phone&apos;s camera and open the link. It works once, for 10 minutes.</p>
      <QrCode value={link} />
      <button
        type="button"
        aria-expanded={shown}
        aria-controls="pairing-link"
        className="block text-brand-700 underline"
        onClick={() => setShown((value) => !value)}
      >
        Can&apos;t scan the image?
      </button>
      <div id="pairing-link" hidden={!shown} className="rounded-md border bg-slate-50 p-4">
        <p id="pairing-link-label" className="font-medium">
          Open this link on your phone
        </p>
        <p aria-labelledby="pairing-link-label" className="select-all break-all font-mono text-sm">
          {link}
        </p>
      </div>
      <p role="status">Waiting for your phone…</p>
    </div>
  );
}
