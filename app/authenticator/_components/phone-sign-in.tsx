"use client";

import { useState } from "react";
import { Alert } from "@/components/ui/alert";
import { primaryButton, secondaryButton } from "@/components/ui/button-styles";
import { deviceCall, type StoredDevice } from "../_lib/device";
import { AppPinForm, type Notice } from "./app-pin-form";
import { UNREACHABLE_TEXT } from "./messages";

/**
 * "Enable phone sign-in" / "Disable phone sign-in" / "Change app PIN". Turning it on asks the
 * person to choose an app PIN: phone sign-in's second factor, asked again before each phone
 * sign-in is approved. The phone sends only a proof of the PIN, which the server checks and
 * counts; nothing here can tell a right PIN from a wrong one.
 */
export function PhoneSignIn({
  device,
  enabled,
  onChange,
}: {
  device: StoredDevice;
  enabled: boolean;
  onChange: () => void;
}) {
  const [mode, setMode] = useState<"idle" | "enable" | "change">("idle");
  const [notice, setNotice] = useState<Notice | null>(null);
  const [busy, setBusy] = useState(false);

  function open(next: "enable" | "change") {
    setNotice(null);
    setMode(next);
  }

  function finish(next: Notice, changed: boolean) {
    setMode("idle");
    setNotice(next);
    if (changed) onChange();
  }

  async function turnOff() {
    setNotice(null);
    setBusy(true);
    try {
      const answer = await deviceCall(device, "phone_sign_in_off");
      if (!answer) throw new Error("unpaired");
      setNotice({ kind: "success", text: "Phone sign-in is off. Signing in needs your password." });
      onChange();
    } catch {
      finish({ kind: "error", text: UNREACHABLE_TEXT }, false);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="phone-sign-in-heading" className="mt-8">
      <h2 id="phone-sign-in-heading" className="text-xl font-semibold">
        Phone sign-in
      </h2>
      <p className="mt-2 text-slate-700">
        {enabled
          ? "On: you can sign in by approving a request here, without your password. Each approval asks for your app PIN."
          : "Off: sign in without your password by approving a request here. Turning it on asks for your password once, and you choose an app PIN. This phone needs a screen lock."}
      </p>
      {notice && mode === "idle" && (
        <div className="mt-3">
          <Alert kind={notice.kind}>{notice.text}</Alert>
        </div>
      )}
      {mode !== "idle" ? (
        <AppPinForm device={device} mode={mode} onDone={finish} onCancel={() => setMode("idle")} />
      ) : enabled ? (
        <div className="mt-4 flex flex-wrap gap-3">
          <button
            type="button"
            className={secondaryButton}
            disabled={busy}
            onClick={() => open("change")}
          >
            Change app PIN
          </button>
          <button
            type="button"
            className={secondaryButton}
            disabled={busy}
            onClick={() => void turnOff()}
          >
            Disable phone sign-in
          </button>
        </div>
      ) : (
        <button
          type="button"
          className={`${primaryButton} mt-4`}
          disabled={busy}
          onClick={() => open("enable")}
        >
          Enable phone sign-in
        </button>
      )}
    </section>
  );
}
