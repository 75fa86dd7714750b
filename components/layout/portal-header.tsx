import Link from "next/link";
import { cache } from "react";
import { hasEnabledApps } from "@/lib/apps/registry";
import { getDb } from "@/lib/db/client";
import { getEnv } from "@/lib/env";
import type { Role } from "@/lib/mfa/registry";
import { NavLinks } from "./nav-links";
import { SignOutButton } from "./sign-out-button";

const PORTAL_LINKS = [
  { href: "/", label: "Overview" },
  { href: "/security-info", label: "Security info" },
  { href: "/sign-ins", label: "My sign-ins" },
  { href: "/devices", label: "Devices" },
  { href: "/apps", label: "My apps" },
  { href: "/help", label: "Help" },
];
// The console's everyday page; its overview is one link further.
const CONSOLE_LINK = { href: "/admin/users", label: "Admin" };

// One look per request, however many times the header is rendered in it.
const appsExist = cache(async () => hasEnabledApps(await getDb()));

/**
 * The header of every signed-in page: the organisation, who is signed in, "Sign out" and the
 * navigation. Without a person (a public page read signed out), the way to sign in instead.
 */
export async function PortalHeader({ user }: { user: { displayName: string; role: Role } | null }) {
  // "My apps" appears once the organisation has an app to sign in to (UI contract).
  const links =
    user && !(await appsExist())
      ? PORTAL_LINKS.filter((link) => link.href !== "/apps")
      : PORTAL_LINKS;
  return (
    <header className="border-b border-slate-200 bg-white">
      <div className="mx-auto flex max-w-5xl flex-wrap items-center justify-between gap-4 px-4 py-3">
        <Link href="/" className="text-lg font-semibold text-slate-900">
          {getEnv().ORG_NAME} <span className="font-normal text-slate-600">· Factor</span>
        </Link>
        {user ? (
          <div className="flex items-center gap-4">
            <span className="text-sm text-slate-700">{user.displayName}</span>
            <SignOutButton />
          </div>
        ) : (
          <Link
            href="/signin"
            className="rounded-md border border-slate-400 px-3 py-1.5 text-sm font-medium hover:bg-slate-100"
          >
            Sign in
          </Link>
        )}
      </div>
      {user && (
        <NavLinks
          label="Main"
          links={user.role === "user" ? links : [...links, CONSOLE_LINK]}
          className="mx-auto max-w-5xl px-4"
        />
      )}
    </header>
  );
}
