"use client";

import { QRCodeSVG } from "qrcode.react";

/** The otpauth:// URI as a QR code, drawn in the browser (never by an outside service, R-A3.4). */
export function QrCode({ value }: { value: string }) {
  return (
    <div
      role="img"
      aria-label="QR code"
      className="inline-block rounded bg-white p-3 ring-1 ring-slate-200"
    >
      <QRCodeSVG value={value} size={192} marginSize={0} aria-hidden="true" />
    </div>
  );
}
