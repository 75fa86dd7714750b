"use client";

import { useEffect, useState } from "react";
import { OneTimeSecret } from "../../_components/one-time-secret";
import { useRevealedSecret } from "./revealed-secret";

/**
 * A web app's client secret, right after "Add application" made it, once: taken from the holder
 * when the page opens and kept only while it stays open. Otherwise, how to get a new one.
 */
export function ClientSecretPanel({ appId }: { appId: string }) {
  const { revealed, forget } = useRevealedSecret();
  const [secret] = useState(() => (revealed?.appId === appId ? revealed.secret : null));
  useEffect(() => {
    forget(appId);
  }, [appId, forget]);
  if (!secret) {
    return (
      <p className="text-slate-700">
        The client secret is shown only once, when it is made. If the app&apos;s copy is lost, use
        &ldquo;Rotate secret&rdquo; to make a new one.
      </p>
    );
  }
  return (
    <OneTimeSecret
      label="Client secret"
      secret={secret}
      note="Copy it into the app's configuration now: it will not be shown again."
    />
  );
}
