import type { Metadata } from "next";
import Link from "next/link";
import { primaryButton, secondaryButton } from "@/components/ui/button-styles";
import { roleName } from "@/lib/admin/account-actions";
import { requireAgentPage } from "@/lib/admin/guard";
import {
  assignableRoles,
  MFA_FILTERS,
  searchUsers,
  USER_STATUSES,
  type UserSearch,
} from "@/lib/admin/users";
import { ROLES } from "@/lib/auth/users";
import { getDb } from "@/lib/db/client";
import { CreateUserDialog } from "./_components/create-user-dialog";
import { ImportUsersDialog } from "./_components/import-users-dialog";

export const metadata: Metadata = { title: "Users" };

type Params = Record<string, string | string[] | undefined>;

function one(params: Params, key: string): string | undefined {
  const value = params[key];
  return typeof value === "string" && value.length <= 700 ? value : undefined;
}

function pick<T extends string>(value: string | undefined, allowed: readonly T[]): T | undefined {
  return allowed.includes(value as T) ? (value as T) : undefined;
}

const selectStyle = "block rounded-md border border-slate-400 bg-white px-3 py-2";

export default async function UsersPage({ searchParams }: { searchParams: Promise<Params> }) {
  const agent = await requireAgentPage();
  const params = await searchParams;
  const lockedParam = one(params, "locked");
  const search: UserSearch = {
    q: one(params, "q")?.slice(0, 100),
    role: pick(one(params, "role"), ROLES),
    status: pick(one(params, "status"), USER_STATUSES),
    mfa: pick(one(params, "mfa"), MFA_FILTERS),
    locked: lockedParam === "yes" ? true : lockedParam === "no" ? false : undefined,
    after: one(params, "after"),
  };
  const { items, nextCursor } = await searchUsers(await getDb(), search);
  const filters = new URLSearchParams();
  for (const key of ["q", "role", "status", "mfa", "locked"] as const) {
    const value = one(params, key);
    if (value) filters.set(key, value);
  }
  const nextHref = nextCursor
    ? `/admin/users?${new URLSearchParams([...filters, ["after", nextCursor]]).toString()}`
    : null;
  const firstHref = `/admin/users${filters.size > 0 ? `?${filters.toString()}` : ""}`;

  return (
    <>
      <div className="flex flex-wrap items-center justify-between gap-4">
        <h1 className="text-3xl font-semibold">Users</h1>
        <div className="flex flex-wrap gap-3">
          <CreateUserDialog roles={assignableRoles(agent.role)} />
          <ImportUsersDialog />
        </div>
      </div>

      <form method="get" action="/admin/users" role="search" className="mt-6 space-y-4">
        <div className="space-y-1">
          <label htmlFor="user-search" className="block font-medium">
            Search users
          </label>
          <p id="user-search-hint" className="text-sm text-slate-600">
            Any part of a name or email address.
          </p>
          <input
            id="user-search"
            name="q"
            type="search"
            defaultValue={search.q}
            aria-describedby="user-search-hint"
            maxLength={100}
            className="block w-full max-w-xl rounded-md border border-slate-400 px-3 py-2"
          />
        </div>
        <div className="flex flex-wrap items-end gap-4">
          <div className="space-y-1">
            <label htmlFor="filter-role" className="block text-sm font-medium">
              Role
            </label>
            <select
              id="filter-role"
              name="role"
              defaultValue={search.role ?? ""}
              className={selectStyle}
            >
              <option value="">Any</option>
              {ROLES.map((role) => (
                <option key={role} value={role}>
                  {roleName(role)}
                </option>
              ))}
            </select>
          </div>
          <div className="space-y-1">
            <label htmlFor="filter-status" className="block text-sm font-medium">
              Status
            </label>
            <select
              id="filter-status"
              name="status"
              defaultValue={search.status ?? ""}
              className={selectStyle}
            >
              <option value="">Any</option>
              <option value="active">Active</option>
              <option value="disabled">Disabled</option>
            </select>
          </div>
          <div className="space-y-1">
            <label htmlFor="filter-mfa" className="block text-sm font-medium">
              MFA
            </label>
            <select
              id="filter-mfa"
              name="mfa"
              defaultValue={search.mfa ?? ""}
              className={selectStyle}
            >
              <option value="">Any</option>
              <option value="registered">Registered</option>
              <option value="not_registered">Not registered</option>
            </select>
          </div>
          <div className="space-y-1">
            <label htmlFor="filter-locked" className="block text-sm font-medium">
              Locked
            </label>
            <select
              id="filter-locked"
              name="locked"
              defaultValue={lockedParam === "yes" || lockedParam === "no" ? lockedParam : ""}
              className={selectStyle}
            >
              <option value="">Any</option>
              <option value="yes">Locked</option>
              <option value="no">Not locked</option>
            </select>
          </div>
          <button type="submit" className={primaryButton}>
            Search
          </button>
        </div>
      </form>

      {items.length === 0 ? (
        <p className="mt-6" role="status">
          No account matches.
        </p>
      ) : (
        <div className="mt-6 overflow-x-auto">
          <table className="w-full border-collapse text-left">
            <caption className="sr-only">Accounts, by email address</caption>
            <thead>
              <tr className="border-b border-slate-300">
                <th scope="col" className="py-2 pr-4">
                  Name
                </th>
                <th scope="col" className="py-2 pr-4">
                  Email
                </th>
                <th scope="col" className="py-2 pr-4">
                  Role
                </th>
                <th scope="col" className="py-2 pr-4">
                  MFA
                </th>
                <th scope="col" className="py-2">
                  Status
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((user) => (
                <tr key={user.id} className="border-b border-slate-200">
                  <td className="py-2 pr-4">
                    <Link href={`/admin/users/${user.id}`} className="text-brand-700 underline">
                      {user.displayName}
                    </Link>
                  </td>
                  <td className="py-2 pr-4">{user.email}</td>
                  <td className="py-2 pr-4">{roleName(user.role)}</td>
                  <td className="py-2 pr-4">
                    {user.mfaRegistered ? "Registered" : "Not registered"}
                  </td>
                  <td className="py-2">
                    {user.status === "active" ? "Active" : "Disabled"}
                    {user.locked && ", locked"}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {(search.after || nextHref) && (
        <nav aria-label="Pages" className="mt-4 flex gap-3">
          {search.after && (
            <Link href={firstHref} className={secondaryButton}>
              First page
            </Link>
          )}
          {nextHref && (
            <Link href={nextHref} className={secondaryButton}>
              Next page
            </Link>
          )}
        </nav>
      )}
    </>
  );
}
