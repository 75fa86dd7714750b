import { PortalHeader } from "@/components/layout/portal-header";
import { getCurrentSession } from "@/lib/auth/current";

/**
 * Help is public: its readers are often the people who cannot sign in. Signed in, it has the
 * portal's header and navigation; signed out, a way to sign in. Nothing on it is personal.
 */
export default async function HelpLayout({ children }: { children: React.ReactNode }) {
  const session = await getCurrentSession();
  return (
    <div className="min-h-screen">
      <PortalHeader user={session?.user ?? null} />
      <main id="main" tabIndex={-1} className="mx-auto max-w-5xl px-4 py-8">
        {children}
      </main>
    </div>
  );
}
