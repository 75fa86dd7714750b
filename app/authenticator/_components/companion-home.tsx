"use client";

import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { loadDevice, type StoredDevice } from "../_lib/device";
import { PairedHome } from "./paired-home";

/** The companion app: this phone's codes, and the sign-in requests waiting for it. */
export function CompanionHome() {
  const [client] = useState(() => new QueryClient());
  return (
    <QueryClientProvider client={client}>
      <Home />
    </QueryClientProvider>
  );
}

function Home() {
  const [device, setDevice] = useState<StoredDevice | null | undefined>(undefined);
  useEffect(() => {
    loadDevice()
      .then(setDevice)
      .catch(() => setDevice(null));
  }, []);

  if (device === undefined) {
    return (
      <>
        <h1 className="mb-4 text-2xl font-semibold">Authenticator</h1>
        <p role="status">Opening…</p>
      </>
    );
  }
  if (device === null) {
    return (
      <>
        <h1 className="mb-4 text-2xl font-semibold">Authenticator</h1>
        <p>
          This phone isn&apos;t paired yet. On your computer, open Security info, choose &ldquo;Add
          sign-in method&rdquo;, then &ldquo;Authenticator app (notifications)&rdquo;, and scan the
          QR code with this phone.
        </p>
      </>
    );
  }
  return <PairedHome device={device} onForget={() => setDevice(null)} />;
}
