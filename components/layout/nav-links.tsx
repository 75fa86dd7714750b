"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

/**
 * A navigation bar; the current page is marked for assistive technology. `nested`: a link is
 * also current on the pages below it (the console's sections), not only on its own page.
 */
export function NavLinks({
  label,
  links,
  nested = false,
  className,
}: {
  label: string;
  /** `exact`: current on its own page only, even when `nested` (the console's overview). */
  links: readonly { href: string; label: string; exact?: boolean }[];
  nested?: boolean;
  className: string;
}) {
  const pathname = usePathname();
  return (
    <nav aria-label={label} className={className}>
      <ul className="flex flex-wrap gap-x-6">
        {links.map((link) => {
          const current =
            pathname === link.href ||
            (nested && !link.exact && pathname.startsWith(`${link.href}/`));
          return (
            <li key={link.href}>
              <Link
                href={link.href}
                aria-current={current ? "page" : undefined}
                className={`inline-block border-b-2 py-2 ${current ? "border-brand-700 font-semibold text-brand-800" : "border-transparent text-slate-700 hover:text-slate-900"}`}
              >
                {link.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
