"use client";

import { useEffect, useState } from "react";
import { SubmitButton } from "@/components/forms/submit-button";
import { describeWait } from "@/lib/actions/wait-text";

type SendCountdownProps = {
  /** Seconds the send limits still hold the next text or call back, as the server counted them. */
  seconds: number;
  channel: "sms" | "voice";
  /** The form's submit button: "Resend code", "Call again"… */
  label: string;
};

const WHAT = { sms: "a code by text", voice: "a call" } as const;

/**
 * After a text or call was held back: the wait, counted down, and the button that sends once the
 * wait is over. The count changes every second on screen (role "timer" is not announced); a
 * screen reader hears only that the wait began and that it ended.
 */
export function SendCountdown({ seconds, channel, label }: SendCountdownProps) {
  const [left, setLeft] = useState(() => Math.max(0, Math.ceil(seconds)));
  const [begun, setBegun] = useState(false);
  useEffect(() => {
    if (seconds <= 0) return;
    // Counted on this browser's clock from when it got the figure: never ends before the server's.
    const end = Date.now() + Math.ceil(seconds) * 1000;
    // A moment after mounting: a live region announces text put into it, not text it was born with.
    const start = setTimeout(() => setBegun(true), 100);
    const timer = setInterval(() => {
      const remaining = Math.max(0, Math.ceil((end - Date.now()) / 1000));
      setLeft(remaining);
      if (remaining === 0) clearInterval(timer);
    }, 1000);
    return () => {
      clearTimeout(start);
      clearInterval(timer);
    };
  }, [seconds]);
  const waiting = left > 0;
  return (
    <div className="space-y-3">
      {waiting && (
        <p role="timer" className="font-medium">
          You can get {WHAT[channel]} in {describeWait(left)}.
        </p>
      )}
      {/* Its text changes twice: when the wait begins (the first figure) and when it ends. */}
      <p role="status" className={waiting ? "sr-only" : "font-medium"}>
        {!waiting
          ? `You can get ${WHAT[channel]} now.`
          : begun
            ? `You can get ${WHAT[channel]} in ${describeWait(seconds)}.`
            : ""}
      </p>
      <SubmitButton
        variant="secondary"
        pendingLabel="Sending…"
        {...(waiting ? { disabled: true, "aria-disabled": true } : {})}
      >
        {label}
      </SubmitButton>
    </div>
  );
}
