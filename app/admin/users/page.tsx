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
import { DataTable } from "../_components/data-table";
import { FilterField } from "../_components/filter-field";
import { choice, listHref, param, type SearchParams } from "../search-params";
import { CreateUserDialog } from "./_components/create-user-dialog";
import { ImportUsersDialog } from "./_components/import-users-dialog";

export const metadata: Metadata = { title: "Users" };

export default async function UsersPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const agent = await requireAgentPage();
  const params = await searchParams;
  const locked = choice(params, "locked", ["yes", "no"]);
  const search: UserSearch = {
    q: param(params, "q")?.slice(0, 100),
    role: choice(params, "role", ROLES),
    status: choice(params, "status", USER_STATUSES),
    mfa: choice(params, "mfa", MFA_FILTERS),
    locked: locked === undefined ? undefined : locked === "yes",
    after: param(params, "after"),
  };
  const { items, nextCursor } = await searchUsers(await getDb(), search);
  const filters = Object.fromEntries(
    ["q", "role", "status", "mfa", "locked"].map((key) => [key, param(params, key)]),
  );
  const nextHref = nextCursor ? listHref("/admin/users", { ...filters, after: nextCursor }) : null;
  const firstHref = listHref("/admin/users", filters);

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
          <FilterField
            id="filter-role"
            name="role"
            label="Role"
            value={search.role}
            anyLabel="Any"
            options={ROLES.map((role) => [role, roleName(role)] as const)}
          />
          <FilterField
            id="filter-status"
            name="status"
            label="Status"
            value={search.status}
            anyLabel="Any"
            options={[
              ["active", "Active"],
              ["disabled", "Disabled"],
            ]}
          />
          <FilterField
            id="filter-mfa"
            name="mfa"
            label="MFA"
            value={search.mfa}
            anyLabel="Any"
            options={[
              ["registered", "Registered"],
              ["not_registered", "Not registered"],
            ]}
          />
          <FilterField
            id="filter-locked"
            name="locked"
            label="Locked"
            value={locked}
            anyLabel="Any"
            options={[
              ["yes", "Locked"],
              ["no", "Not locked"],
            ]}
          />
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
        <DataTable
          caption="Accounts, by email address"
          columns={["Name", "Email", "Role", "Account", "MFA", "Status"]}
        >
          {items.map((user) => (
            <tr key={user.id} className="border-b border-slate-200">
              <td className="py-2 pr-4">
                <Link href={`/admin/users/${user.id}`} className="text-brand-700 underline">
                  {user.displayName}
                </Link>
              </td>
              <td className="py-2 pr-4">{user.email}</td>
              <td className="py-2 pr-4">{roleName(user.role)}</td>
              <td className="py-2 pr-4">{user.source === "directory" ? "Directory" : "Local"}</td>
              <td className="py-2 pr-4">{user.mfaRegistered ? "Registered" : "Not registered"}</td>
              <td className="py-2">
                {user.status === "active" ? "Active" : "Disabled"}
                {user.locked && ", locked"}
              </td>
            </tr>
          ))}
        </DataTable>
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
