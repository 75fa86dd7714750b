"use client";

import { SomethingWentWrong } from "@/components/ui/something-went-wrong";

export default function ErrorPage({
  reset,
}: {
  error: Error & { digest?: string };
  reset: () => void;
}) {
  return (
    <main id="main" tabIndex={-1} className="mx-auto max-w-xl px-4 py-16">
      <SomethingWentWrong reset={reset} />
    </main>
  );
}
