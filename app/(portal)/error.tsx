"use client";

import { SomethingWentWrong } from "@/components/ui/something-went-wrong";

export default function PortalError({
  reset,
}: {
  error: Error & { digest?: string };
  reset: () => void;
}) {
  return <SomethingWentWrong reset={reset} />;
}
