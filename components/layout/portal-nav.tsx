"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

const LINKS = [
  { href: "/", label: "Overview" },
  { href: "/security-info", label: "Security info" },
  { href: "/sign-ins", label: "My sign-ins" },
  { href: "/devices", label: "Devices" },
  { href: "/help", label: "Help" },
] as const;

/** The signed-in navigation; the current page is marked for assistive technology. */
export function PortalNav({ showAdmin }: { showAdmin: boolean }) {
  const pathname = usePathname();
  const links = showAdmin ? [...LINKS, { href: "/admin", label: "Admin" }] : LINKS;
  return (
    <nav aria-label="Main" className="mx-auto max-w-5xl px-4">
      <ul className="flex gap-6">
        {links.map((link) => {
          const current = pathname === link.href;
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
