import type { Metadata, Viewport } from "next";
import { getEnv } from "@/lib/env";

// The companion app: it never reads the portal's session. The phone proves itself with its own
// key (app/api/authenticator/**).

export const metadata: Metadata = {
  manifest: "/authenticator/manifest.webmanifest",
  applicationName: "Authenticator",
};

export const viewport: Viewport = { themeColor: "#1d4ed8" };

export default function AuthenticatorLayout({ children }: { children: React.ReactNode }) {
  return (
    <div className="flex min-h-screen flex-col items-center px-4 py-8">
      <p className="mb-4 text-lg font-semibold text-slate-700">{getEnv().ORG_NAME} Authenticator</p>
      <main id="main" tabIndex={-1} className="w-full max-w-md rounded-lg bg-white p-6 shadow">
        {children}
      </main>
    </div>
  );
}
