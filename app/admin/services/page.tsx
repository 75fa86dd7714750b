import type { Metadata } from "next";
import Link from "next/link";
import { listApiServices } from "@/lib/admin/api-services";
import { requireAgentPage } from "@/lib/admin/guard";
import { getDb } from "@/lib/db/client";
import { DataTable } from "../_components/data-table";
import { describeAudience } from "../apps/app-choices";
import { AddServiceDialog } from "./add-service-dialog";
import { describeMoment, describePassword } from "./service-choices";

export const metadata: Metadata = { title: "Services" };

export default async function ServicesPage() {
  await requireAgentPage({ adminOnly: true });
  const services = await listApiServices(await getDb());
  return (
    <>
      <div className="flex flex-wrap items-center justify-between gap-4">
        <h1 className="text-3xl font-semibold">Services</h1>
        <AddServiceDialog />
      </div>
      <p className="mt-2 max-w-prose text-slate-700">
        Scripts, PAM modules and other servers that ask Factor whether to let someone in, through{" "}
        <code className="font-mono text-sm">POST /api/v1/verify</code> with a key of their own.
        Every change is recorded in the audit log with your reason.
      </p>
      {services.length === 0 ? (
        <p className="mt-6 text-slate-700">No services yet.</p>
      ) : (
        <DataTable
          caption="Services"
          columns={["Name", "Key", "Who can use it", "Asks for", "Last used", "Status"]}
        >
          {services.map((service) => (
            <tr key={service.id} className="border-b border-slate-200 align-top">
              <td className="py-2 pr-4">
                <Link href={`/admin/services/${service.id}`} className="text-brand-700 underline">
                  {service.name}
                </Link>
              </td>
              <td className="py-2 pr-4 font-mono text-sm">{service.keyPrefix}…</td>
              <td className="py-2 pr-4">{describeAudience(service.allowedRoles)}</td>
              <td className="py-2 pr-4">{describePassword(service.passwordRequired)}</td>
              <td className="py-2 pr-4">{describeMoment(service.lastUsedAt)}</td>
              <td className="py-2">{service.disabled ? "Disabled" : "Enabled"}</td>
            </tr>
          ))}
        </DataTable>
      )}
    </>
  );
}
