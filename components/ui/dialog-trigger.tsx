"use client";

import { useId, useRef } from "react";
import { secondaryButton } from "./button-styles";

type DialogTriggerProps = {
  /** The trigger button's visible text. */
  label: string;
  /** Overrides the trigger's accessible name, e.g. "Delete Authenticator app iPhone". */
  accessibleLabel?: string;
  /** The dialog's heading, which is also its accessible name. */
  title: string;
  children: React.ReactNode;
  className?: string;
};

/** A button that opens a modal dialog (native <dialog>: focus is trapped and Escape closes it). */
export function DialogTrigger({
  label,
  accessibleLabel,
  title,
  children,
  className,
}: DialogTriggerProps) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  return (
    <>
      <button
        type="button"
        aria-label={accessibleLabel}
        aria-haspopup="dialog"
        className={className ?? secondaryButton}
        onClick={() => dialogRef.current?.showModal()}
      >
        {label}
      </button>
      <dialog
        ref={dialogRef}
        aria-labelledby={titleId}
        className="m-auto w-full max-w-md rounded-lg p-6 shadow-xl backdrop:bg-slate-900/50"
      >
        <h2 id={titleId} className="mb-4 text-xl font-semibold">
          {title}
        </h2>
        {children}
        <form method="dialog" className="mt-4">
          <button type="submit" className={secondaryButton}>
            Cancel
          </button>
        </form>
      </dialog>
    </>
  );
}
