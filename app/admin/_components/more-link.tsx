import Link from "next/link";
import type { ReactNode } from "react";

/** The link under a console list to its next page: "Older entries", "Next page". */
export function MoreLink({ href, children }: { href: string; children: ReactNode }) {
  return (
    <p className="mt-4">
      <Link href={href} className="text-brand-700 underline">
        {children}
      </Link>
    </p>
  );
}
