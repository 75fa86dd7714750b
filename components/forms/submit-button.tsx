"use client";

import type { ButtonHTMLAttributes } from "react";
import { useFormStatus } from "react-dom";

type SubmitButtonProps = {
  children: string;
  /** What the button says while the form is being sent, e.g. "Signing in…". */
  pendingLabel: string;
  variant?: "primary" | "secondary";
} & Omit<ButtonHTMLAttributes<HTMLButtonElement>, "children" | "type">;

/** A submit button that disables itself and says what is happening while pending. */
export function SubmitButton({
  children,
  pendingLabel,
  variant = "primary",
  ...button
}: SubmitButtonProps) {
  const { pending } = useFormStatus();
  const style =
    variant === "primary"
      ? "bg-brand-700 text-white hover:bg-brand-800"
      : "border border-slate-400 bg-white text-slate-900 hover:bg-slate-100";
  return (
    <button
      type="submit"
      disabled={pending}
      aria-disabled={pending}
      className={`rounded-md px-4 py-2 font-semibold disabled:opacity-70 ${style}`}
      {...button}
    >
      {pending ? pendingLabel : children}
    </button>
  );
}
