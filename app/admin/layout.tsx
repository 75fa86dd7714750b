import type { Metadata } from "next";
import Link from "next/link";
import { requireAgentPage } from "@/lib/admin/guard";
import { getEnv } from "@/lib/env";
import { AdminNav } from "./admin-nav";

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
            <form action="/signout" method="post">
              <button
                type="submit"
                className="rounded-md border border-slate-400 px-3 py-1.5 text-sm font-medium hover:bg-slate-100"
              >
                Sign out
              </button>
            </form>
          </div>
        </div>
        <AdminNav isAdmin={agent.role === "admin"} />
      </header>
      <main id="main" tabIndex={-1} className="mx-auto max-w-6xl px-4 py-8">
        {children}
      </main>
    </div>
  );
}
