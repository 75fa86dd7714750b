"use client";

import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { Field } from "@/components/forms/field";
import { Alert } from "@/components/ui/alert";
import { primaryButton } from "@/components/ui/button-styles";
import { pairDevice } from "../_lib/device";

/**
 * Opened from the QR code: the one-time token is in the URL's fragment, which no server log or
 * Referer sees (R-A12.11); it is taken out of the address bar at once.
 */
export function PairDevice() {
  const router = useRouter();
  const [token, setToken] = useState<string | null>(null);
  const [name, setName] = useState("My phone");
  const [state, setState] = useState<"ready" | "pairing" | "failed" | "missing">("ready");

  useEffect(() => {
    const fragment = window.location.hash.slice(1);
    history.replaceState(null, "", window.location.pathname);
    // Reading the address is a one-time effect of opening the link.
    // eslint-disable-next-line react-hooks/set-state-in-effect
    if (/^[A-Za-z0-9_-]{43}$/.test(fragment)) setToken(fragment);
    else setState("missing");
  }, []);

  async function pair(event: React.FormEvent) {
    event.preventDefault();
    if (!token) return;
    setState("pairing");
    try {
      await pairDevice(token, name.trim().slice(0, 40) || "My phone");
      router.push("/authenticator");
    } catch {
      setState("failed");
    }
  }

  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">Pair this phone</h1>
      {state === "missing" ? (
        <Alert kind="error">
          This page needs the link from the QR code. In Security info on your computer, add
          &ldquo;Authenticator app (notifications)&rdquo; and scan the QR code with this phone.
        </Alert>
      ) : (
        <form onSubmit={pair} className="space-y-5" noValidate>
          <p>
            This phone will approve your sign-ins and show verification codes. It creates its own
            key, which never leaves it.
          </p>
          {state === "failed" && (
            <Alert kind="error">
              This pairing link can&apos;t be used. Show a new QR code on your computer and scan it
              again.
            </Alert>
          )}
          <Field
            label="Device name"
            name="deviceName"
            value={name}
            maxLength={40}
            onChange={(event) => setName(event.target.value)}
          />
          <button type="submit" className={primaryButton} disabled={state === "pairing" || !token}>
            {state === "pairing" ? "Pairing…" : "Pair this phone"}
          </button>
        </form>
      )}
    </>
  );
}
