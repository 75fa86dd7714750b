"use client";

import { useState } from "react";
import { primaryButton, secondaryButton } from "@/components/ui/button-styles";
import { PIN_PATTERN } from "@/lib/mfa/companion-protocol";
import { deviceCall, pinProof, type StoredDevice } from "../_lib/device";
import { LOCKED_TEXT, UNREACHABLE_TEXT, wrongPinText } from "./messages";
import { PinField } from "./pin-field";
import { SecretField } from "./secret-field";

export type Notice = { kind: "success" | "error"; text: string };

/**
 * Choosing an app PIN to turn phone sign-in on (after the password), or changing it (after the
 * current PIN). Opened afresh each time, so nothing typed before is kept.
 */
export function AppPinForm({
  device,
  mode,
  onDone,
  onCancel,
}: {
  device: StoredDevice;
  mode: "enable" | "change";
  /** The form is finished with; `changed` when the portal may have changed phone sign-in. */
  onDone: (notice: Notice, changed: boolean) => void;
  onCancel: () => void;
}) {
  const [password, setPassword] = useState("");
  const [passwordError, setPasswordError] = useState<string | null>(null);
  const [current, setCurrent] = useState("");
  const [pin, setPin] = useState("");
  const [confirm, setConfirm] = useState("");
  const [currentError, setCurrentError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  function newPinProblem(): string | null {
    if (!PIN_PATTERN.test(pin)) return "Enter 6 to 12 digits.";
    if (pin !== confirm) return "The two PINs don't match.";
    return null;
  }

  async function enable() {
    const answer = await deviceCall(device, "phone_sign_in_on", {
      password,
      pinProof: await pinProof(device, pin),
    });
    if (!answer) throw new Error("unpaired");
    if (answer.refused === "wrong_password") {
      setPassword("");
      setPasswordError("That password isn't right.");
      return;
    }
    onDone(
      answer.phoneSignIn
        ? {
            kind: "success",
            text: "Phone sign-in is on. On your computer, type your email and choose “Approve a request on my Authenticator app”.",
          }
        : { kind: "error", text: "Phone sign-in couldn't be turned on. Try again." },
      true,
    );
  }

  async function changePin() {
    const answer = await deviceCall(device, "pin_change", {
      pinProof: await pinProof(device, current),
      newPinProof: await pinProof(device, pin),
    });
    if (!answer) throw new Error("unpaired");
    const outcome = answer.pin;
    if (outcome?.result === "wrong") {
      setCurrent("");
      setCurrentError(wrongPinText(outcome.attemptsLeft));
      return;
    }
    if (outcome?.result === "changed")
      onDone({ kind: "success", text: "Your app PIN was changed." }, true);
    else if (outcome?.result === "locked") onDone({ kind: "error", text: LOCKED_TEXT }, true);
    else onDone({ kind: "error", text: "Phone sign-in is off on this phone." }, true);
  }

  async function submit() {
    if (mode === "enable" && !password) {
      setPasswordError("Enter your password.");
      return;
    }
    if (mode === "change" && !PIN_PATTERN.test(current)) {
      setCurrentError("Enter your current app PIN.");
      return;
    }
    const problem = newPinProblem();
    if (problem) {
      setError(problem);
      return;
    }
    setBusy(true);
    try {
      await (mode === "enable" ? enable() : changePin());
    } catch {
      onDone({ kind: "error", text: UNREACHABLE_TEXT }, false);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form
      className="mt-4 space-y-4"
      noValidate
      aria-label={mode === "enable" ? "Choose an app PIN" : "Change app PIN"}
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
    >
      {mode === "enable" && (
        <>
          <p className="text-slate-700">
            Confirm it&apos;s you with your password, then choose an app PIN. You&apos;ll enter the
            PIN each time you approve a phone sign-in.
          </p>
          <SecretField
            id="account-password"
            label="Password"
            value={password}
            error={passwordError}
            autoComplete="current-password"
            onChange={(value) => {
              setPassword(value);
              setPasswordError(null);
            }}
          />
        </>
      )}
      {mode === "change" && (
        <PinField
          id="current-app-pin"
          label="Current app PIN"
          value={current}
          error={currentError}
          onChange={(value) => {
            setCurrent(value);
            setCurrentError(null);
          }}
        />
      )}
      <PinField
        id="app-pin"
        label={
          mode === "enable" ? "Choose an app PIN (6 to 12 digits)" : "New app PIN (6 to 12 digits)"
        }
        value={pin}
        error={error}
        onChange={(value) => {
          setPin(value);
          setError(null);
        }}
      />
      <PinField
        id="app-pin-confirm"
        label={mode === "enable" ? "Confirm app PIN" : "Confirm new app PIN"}
        value={confirm}
        error={null}
        onChange={(value) => {
          setConfirm(value);
          setError(null);
        }}
      />
      <div className="flex flex-wrap gap-3">
        <button type="submit" className={primaryButton} disabled={busy}>
          {mode === "enable" ? "Turn on" : "Change PIN"}
        </button>
        <button type="button" className={secondaryButton} disabled={busy} onClick={onCancel}>
          Cancel
        </button>
      </div>
      {busy && <p role="status">Checking…</p>}
    </form>
  );
}
