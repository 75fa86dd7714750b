"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

const LINKS = [
  { href: "/admin/users", label: "Users", adminOnly: false },
  { href: "/admin/cases", label: "Cases", adminOnly: false },
  { href: "/admin/tokens", label: "Hardware tokens", adminOnly: false },
  { href: "/admin/audit", label: "Audit log", adminOnly: false },
  { href: "/admin/settings", label: "Settings", adminOnly: true },
] as const;

/** The console's navigation; "Settings" only for administrators. */
export function AdminNav({ isAdmin }: { isAdmin: boolean }) {
  const pathname = usePathname();
  return (
    <nav aria-label="Helpdesk console" className="mx-auto max-w-6xl px-4">
      <ul className="flex flex-wrap gap-x-6">
        {LINKS.filter((link) => isAdmin || !link.adminOnly).map((link) => {
          const current = pathname === link.href || pathname.startsWith(`${link.href}/`);
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
