"use client";

import { useEffect, useRef, useState } from "react";
import { dangerButton, primaryButton, secondaryButton } from "@/components/ui/button-styles";
import { PIN_PATTERN, type AnswerResult, type PendingPush } from "@/lib/mfa/companion-protocol";
import { answerRequest, pinProof, type StoredDevice } from "../_lib/device";
import { UNREACHABLE_TEXT, wrongPinText } from "./messages";
import { PinField } from "./pin-field";
import { RequestDetails } from "./request-details";

/**
 * One waiting request: the number from the browser (or, for the helpdesk, the number the agent
 * reads out), the app PIN if needed, the answer.
 */
export function RequestCard({
  device,
  request,
  onAnswered,
}: {
  device: StoredDevice;
  request: PendingPush;
  onAnswered: (result: AnswerResult, reported: boolean) => void;
}) {
  const [number, setNumber] = useState("");
  const [pin, setPin] = useState("");
  const [pinError, setPinError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => headingRef.current?.focus(), []);

  const helpdesk = request.purpose === "helpdesk_verification";
  // A VPN cannot show a number: the request names the service instead (docs/decisions/0019).
  const service = request.purpose === "service_sign_in";

  async function answer(decision: "approve" | "deny", fraud = false) {
    if (decision === "approve" && !service && !/^\d{2}$/.test(number.trim())) {
      setError(
        helpdesk
          ? "Enter the two-digit number the helpdesk reads to you."
          : "Enter the two-digit number shown in your browser.",
      );
      return;
    }
    // Phone sign-in replaces the password: approving it needs the app PIN, which the server
    // checks. Only its shape is looked at here.
    const withPin = decision === "approve" && request.purpose === "phone_sign_in";
    if (withPin && !PIN_PATTERN.test(pin)) {
      setPinError("Enter your app PIN (6 to 12 digits).");
      return;
    }
    setBusy(true);
    try {
      const outcome = await answerRequest(
        device,
        request,
        decision,
        decision === "approve" && !service ? number.trim() : "",
        fraud,
        withPin ? await pinProof(device, pin) : "",
      );
      if (outcome.result === "wrong-pin") {
        // The request still waits: the person may try again, within what is left.
        setPin("");
        setPinError(wrongPinText(outcome.attemptsLeft));
        return;
      }
      onAnswered(outcome.result, fraud && outcome.result === "denied");
    } catch {
      setError(UNREACHABLE_TEXT);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="mt-4 rounded-md border border-slate-300 p-4">
      <h3 ref={headingRef} tabIndex={-1} className="text-lg font-semibold">
        {helpdesk
          ? "The helpdesk is verifying it's you"
          : service
            ? `Did you just sign in to ${request.app}?`
            : "Are you trying to sign in?"}
      </h3>
      {helpdesk && (
        <p className="mt-1 text-sm font-medium text-slate-800">
          Approve only if you are on a call with them, and you called them. If you didn&apos;t,
          choose &ldquo;This wasn&apos;t me&rdquo;.
        </p>
      )}
      {request.purpose === "phone_sign_in" && (
        <p className="mt-1 text-sm font-medium text-slate-800">
          Phone sign-in: approving signs you in without your password.
        </p>
      )}
      <RequestDetails request={request} />
      <form
        className="mt-4 space-y-4"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void answer("approve");
        }}
      >
        {!service && (
          <div className="space-y-1">
            <label htmlFor="push-number" className="block text-sm font-medium text-slate-800">
              {helpdesk
                ? "Enter the number the helpdesk reads to you"
                : "Enter the number shown in your browser"}
            </label>
            <input
              id="push-number"
              name="number"
              inputMode="numeric"
              autoComplete="off"
              maxLength={2}
              value={number}
              aria-invalid={error ? true : undefined}
              aria-describedby={error ? "push-number-error" : undefined}
              onChange={(event) => {
                setNumber(event.target.value);
                setError(null);
              }}
              className="block w-24 rounded-md border border-slate-400 px-3 py-2 text-2xl"
            />
            {error && (
              <p id="push-number-error" role="alert" className="text-sm font-medium text-red-700">
                {error}
              </p>
            )}
          </div>
        )}
        {request.purpose === "phone_sign_in" && (
          <PinField
            id="push-pin"
            label="App PIN"
            value={pin}
            error={pinError}
            onChange={(value) => {
              setPin(value);
              setPinError(null);
            }}
          />
        )}
        <div className="flex flex-wrap gap-3">
          <button type="submit" className={primaryButton} disabled={busy}>
            Approve
          </button>
          <button
            type="button"
            className={secondaryButton}
            disabled={busy}
            onClick={() => void answer("deny")}
          >
            Deny
          </button>
          <button
            type="button"
            className={dangerButton}
            disabled={busy}
            onClick={() => void answer("deny", true)}
          >
            This wasn&apos;t me
          </button>
        </div>
      </form>
    </div>
  );
}
