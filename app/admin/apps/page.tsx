import type { Metadata } from "next";
import Link from "next/link";
import { listApps } from "@/lib/admin/apps";
import { requireAgentPage } from "@/lib/admin/guard";
import { getDb } from "@/lib/db/client";
import { DataTable } from "../_components/data-table";
import { AddAppDialog } from "./_components/add-app-dialog";
import { describeAudience, KIND_NAMES, PROOF_NAMES } from "./app-choices";

export const metadata: Metadata = { title: "Applications" };

export default async function AppsPage() {
  await requireAgentPage({ adminOnly: true });
  const apps = await listApps(await getDb());
  return (
    <>
      <div className="flex flex-wrap items-center justify-between gap-4">
        <h1 className="text-3xl font-semibold">Applications</h1>
        <AddAppDialog />
      </div>
      <p className="mt-2 max-w-prose text-slate-700">
        The organisation&apos;s apps that sign people in through Factor with OpenID Connect. Every
        change is recorded in the audit log with your reason.
      </p>
      {apps.length === 0 ? (
        <p className="mt-6 text-slate-700">No applications yet.</p>
      ) : (
        <DataTable
          caption="Applications"
          columns={["Name", "Kind", "Who can use it", "Proof required", "Status"]}
        >
          {apps.map((app) => (
            <tr key={app.id} className="border-b border-slate-200 align-top">
              <td className="py-2 pr-4">
                <Link href={`/admin/apps/${app.id}`} className="text-brand-700 underline">
                  {app.name}
                </Link>
              </td>
              <td className="py-2 pr-4">{KIND_NAMES[app.kind]}</td>
              <td className="py-2 pr-4">{describeAudience(app.allowedRoles)}</td>
              <td className="py-2 pr-4">{PROOF_NAMES[app.proof]}</td>
              <td className="py-2">{app.disabled ? "Disabled" : "Enabled"}</td>
            </tr>
          ))}
        </DataTable>
      )}
    </>
  );
}
