import Link from "next/link";
import { getEnv } from "@/lib/env";

/** A step of signing in when a new password is required: Help is a link away, as on the others. */
export default function ChangePasswordLayout({ children }: { children: React.ReactNode }) {
  return (
    <div className="flex min-h-screen flex-col items-center px-4 py-12">
      <p className="mb-6 text-lg font-semibold text-slate-700">{getEnv().ORG_NAME}</p>
      <main id="main" tabIndex={-1} className="w-full max-w-md rounded-lg bg-white p-8 shadow">
        {children}
      </main>
      <footer className="mt-6 text-sm">
        <Link href="/help" className="text-brand-700 underline">
          Help
        </Link>
      </footer>
    </div>
  );
}
