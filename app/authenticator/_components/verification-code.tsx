"use client";

import { useEffect, useState } from "react";
import { totpAt, type StoredDevice } from "../_lib/device";

/** The current code and how long it lasts, worked out on the phone (works offline). */
export function VerificationCode({ device }: { device: StoredDevice }) {
  const [now, setNow] = useState(() => Date.now());
  const [code, setCode] = useState<string | null>(null);
  const step = Math.floor(now / 30_000);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  useEffect(() => {
    let live = true;
    void totpAt(device, step * 30_000).then((value) => live && setCode(value));
    return () => {
      live = false;
    };
  }, [device, step]);
  const secondsLeft = 30 - Math.floor((now / 1000) % 30);
  return (
    <div className="mt-6 rounded-md bg-slate-50 p-4">
      <p className="text-sm font-medium text-slate-700">Verification code</p>
      <output
        aria-label="Verification code"
        aria-live="off"
        className="block font-mono text-4xl tracking-widest text-slate-900"
      >
        {code ?? "······"}
      </output>
      <p className="text-sm text-slate-600">Changes in {secondsLeft} seconds</p>
    </div>
  );
}
