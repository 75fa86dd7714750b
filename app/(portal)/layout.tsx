import Link from "next/link";
import { redirect } from "next/navigation";
import { requireSession } from "@/lib/auth/current";
import { getPasswordStatus } from "@/lib/auth/password-change";
import { mfaRequiredFor } from "@/lib/settings/policy";
import { getDb } from "@/lib/db/client";
import { getMethodSummary } from "@/lib/mfa/methods";
import { getEnv } from "@/lib/env";
import { getRequestPath } from "@/lib/security/request-context";
import { PortalNav } from "./portal-nav";

export default async function PortalLayout({ children }: { children: React.ReactNode }) {
  const session = await requireSession();
  // Whether MFA is needed is judged from the methods as they are now, not from how the session
  // began (R-A1.5): someone required to have a method and without one proves their password
  // again and meets the wizard.
  if (
    mfaRequiredFor(session.user) &&
    (await getMethodSummary(await getDb(), session.user.id)).registered.length === 0
  ) {
    redirect("/signin?reauth=1&callbackUrl=%2Fsecurity-info");
  }
  // A password that must change (set by the helpdesk, or after risky sign-ins) is changed
  // before anything else, judged on every page like the check above.
  if ((await getPasswordStatus(await getDb(), session.user.id)).mustChangePassword) {
    redirect(`/change-password?next=${encodeURIComponent(await getRequestPath())}`);
  }
  return (
    <div className="min-h-screen">
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-5xl flex-wrap items-center justify-between gap-4 px-4 py-3">
          <Link href="/" className="text-lg font-semibold text-slate-900">
            {getEnv().ORG_NAME} <span className="font-normal text-slate-600">· Factor</span>
          </Link>
          <div className="flex items-center gap-4">
            <span className="text-sm text-slate-700">{session.user.displayName}</span>
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
        <PortalNav showAdmin={session.user.role !== "user"} />
      </header>
      <main id="main" tabIndex={-1} className="mx-auto max-w-5xl px-4 py-8">
        {children}
      </main>
    </div>
  );
}
