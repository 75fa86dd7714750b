import { redirect } from "next/navigation";
import { requireSession } from "@/lib/auth/current";
import { getPasswordStatus } from "@/lib/auth/password-change";
import { mustRegisterBeforePortal } from "@/lib/auth/sign-in";
import { mfaRequiredFor } from "@/lib/settings/policy";
import { getDb } from "@/lib/db/client";
import { getMethodSummary } from "@/lib/mfa/methods";
import { getRequestPath } from "@/lib/security/request-context";
import { PortalHeader } from "@/components/layout/portal-header";

export default async function PortalLayout({ children }: { children: React.ReactNode }) {
  const session = await requireSession();
  // Whether MFA is needed is judged from the methods as they are now, not from how the session
  // began (R-A1.5): someone required to have a method and without one proves their password
  // again and meets the wizard — unless this very sign-in postponed it ("Ask me later").
  if (
    mustRegisterBeforePortal(
      session,
      mfaRequiredFor(session.user),
      (await getMethodSummary(await getDb(), session.user.id)).registered.length,
    )
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
      <PortalHeader user={session.user} />
      <main id="main" tabIndex={-1} className="mx-auto max-w-5xl px-4 py-8">
        {children}
      </main>
    </div>
  );
}
