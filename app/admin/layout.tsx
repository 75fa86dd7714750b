import type { Metadata } from "next";
import Link from "next/link";
import { requireAgentPage } from "@/lib/admin/guard";
import { getEnv } from "@/lib/env";
import { NavLinks } from "@/components/layout/nav-links";
import { SignOutButton } from "@/components/layout/sign-out-button";

/**
 * The console's overview and sections; "Applications", "RADIUS clients", "Services" and "Settings"
 * only for administrators.
 */
const CONSOLE_LINKS = [
  { href: "/admin", label: "Overview", adminOnly: false, exact: true },
  { href: "/admin/users", label: "Users", adminOnly: false },
  { href: "/admin/cases", label: "Cases", adminOnly: false },
  { href: "/admin/tokens", label: "Hardware tokens", adminOnly: false },
  { href: "/admin/audit", label: "Audit log", adminOnly: false },
  { href: "/admin/apps", label: "Applications", adminOnly: true },
  { href: "/admin/radius", label: "RADIUS clients", adminOnly: true },
  { href: "/admin/services", label: "Services", adminOnly: true },
  { href: "/admin/directory", label: "Directory", adminOnly: true },
  { href: "/admin/settings", label: "Settings", adminOnly: true },
];

export const metadata: Metadata = { title: { default: "Helpdesk", template: "%s · Helpdesk" } };

// Each page calls requireAgentPage itself too: layouts and pages render independently.
export default async function AdminLayout({ children }: { children: React.ReactNode }) {
  const agent = await requireAgentPage();
  return (
    <div className="min-h-screen">
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-4 px-4 py-3">
          <p className="text-lg font-semibold text-slate-900">
            {getEnv().ORG_NAME} <span className="font-normal text-slate-600">· Helpdesk</span>
          </p>
          <div className="flex items-center gap-4">
            <Link href="/" className="text-sm text-brand-700 underline">
              My account
            </Link>
            <span className="text-sm text-slate-700">
              {agent.displayName} ({agent.role === "admin" ? "Administrator" : "Helpdesk"})
            </span>
            <SignOutButton />
          </div>
        </div>
        <NavLinks
          label="Helpdesk console"
          nested
          links={CONSOLE_LINKS.filter((link) => agent.role === "admin" || !link.adminOnly)}
          className="mx-auto max-w-6xl px-4"
        />
      </header>
      <main id="main" tabIndex={-1} className="mx-auto max-w-6xl px-4 py-8">
        {children}
      </main>
    </div>
  );
}
