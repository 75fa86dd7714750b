import type { Metadata } from "next";
import Link from "next/link";
import { requireAgentPage } from "@/lib/admin/guard";
import { listRadiusClients } from "@/lib/admin/radius-clients";
import { getDb } from "@/lib/db/client";
import { getEnv } from "@/lib/env";
import { getDropCounts } from "@/lib/radius/drops";
import { DataTable } from "../_components/data-table";
import { describeAudience } from "../apps/app-choices";
import { AddRadiusClientDialog } from "./add-radius-client-dialog";

export const metadata: Metadata = { title: "RADIUS clients" };

export default async function RadiusClientsPage() {
  await requireAgentPage({ adminOnly: true });
  const clients = await listRadiusClients(await getDb());
  const port = getEnv().RADIUS_PORT;
  const drops = getDropCounts();
  return (
    <>
      <div className="flex flex-wrap items-center justify-between gap-4">
        <h1 className="text-3xl font-semibold">RADIUS clients</h1>
        <AddRadiusClientDialog />
      </div>
      <p className="mt-2 max-w-prose text-slate-700">
        VPNs, Wi-Fi controllers and other network equipment that ask Factor whether to let someone
        in, with their password and their default sign-in method. Every change is recorded in the
        audit log with your reason.
      </p>
      <p className="mt-2 max-w-prose text-slate-700">
        {port === undefined
          ? "RADIUS is off: set RADIUS_PORT to turn it on."
          : `RADIUS is listening on udp port ${port}.`}
      </p>
      {clients.length === 0 ? (
        <p className="mt-6 text-slate-700">No RADIUS clients yet.</p>
      ) : (
        <DataTable
          caption="RADIUS clients"
          columns={["Name", "Address", "Who can use it", "Message-Authenticator", "Status"]}
        >
          {clients.map((client) => (
            <tr key={client.id} className="border-b border-slate-200 align-top">
              <td className="py-2 pr-4">
                <Link href={`/admin/radius/${client.id}`} className="text-brand-700 underline">
                  {client.name}
                </Link>
              </td>
              <td className="py-2 pr-4 font-mono text-sm">{client.address}</td>
              <td className="py-2 pr-4">{describeAudience(client.allowedRoles)}</td>
              <td className="py-2 pr-4">
                {client.requireMessageAuthenticator ? "Required" : "Not required (unsafe)"}
              </td>
              <td className="py-2">{client.disabled ? "Disabled" : "Enabled"}</td>
            </tr>
          ))}
        </DataTable>
      )}
      <section aria-labelledby="dropped-heading" className="mt-8">
        <h2 id="dropped-heading" className="text-xl font-semibold">
          Dropped packets
        </h2>
        <p className="mt-1 max-w-prose text-slate-700">
          Requests this server did not answer since it started at{" "}
          {drops.since.toISOString().replace("T", " ").slice(0, 16)} UTC: {drops.total} in all.
        </p>
        <ul className="mt-2 list-disc pl-6 text-slate-700">
          <li>From an address no enabled client has: {drops.unknown_source}</li>
          <li>
            Missing or wrong Message-Authenticator (often a wrong shared secret):{" "}
            {drops.bad_authenticator}
          </li>
          <li>Not a RADIUS Access-Request: {drops.malformed}</li>
        </ul>
      </section>
    </>
  );
}
