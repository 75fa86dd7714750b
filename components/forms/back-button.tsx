"use client";

import { useRouter } from "next/navigation";
import { secondaryButton } from "@/components/ui/button-styles";

/** The wizard's "Back": a button, as guides call it, that goes to the previous step. */
export function BackButton({ href }: { href: string }) {
  const router = useRouter();
  return (
    <button type="button" className={secondaryButton} onClick={() => router.push(href)}>
      Back
    </button>
  );
}
