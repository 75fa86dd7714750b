import Link from "next/link";
import { getEnv } from "@/lib/env";

export default function RegisterLayout({ children }: { children: React.ReactNode }) {
  return (
    <div className="flex min-h-screen flex-col items-center px-4 py-10">
      <p className="mb-2 text-lg font-semibold text-slate-700">{getEnv().ORG_NAME}</p>
      <p className="mb-6 text-2xl font-semibold text-slate-900">Keep your account secure</p>
      <main id="main" tabIndex={-1} className="w-full max-w-xl rounded-lg bg-white p-8 shadow">
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
