import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { Alert } from "@/components/ui/alert";
import { dangerButton } from "@/components/ui/button-styles";
import { requireAgentPage } from "@/lib/admin/guard";
import { getRadiusClient } from "@/lib/admin/radius-clients";
import { getDb } from "@/lib/db/client";
import { getEnv } from "@/lib/env";
import { describeAudience } from "../../apps/app-choices";
import { AgentActionDialog } from "../../users/[id]/agent-action-dialog";
import {
  deleteRadiusClientAction,
  disableRadiusClientAction,
  enableRadiusClientAction,
  relaxMessageAuthenticatorAction,
  requireMessageAuthenticatorAction,
  rotateRadiusSecretAction,
} from "../actions";

export const metadata: Metadata = { title: "RADIUS client" };

/** One row of the connection details, its value labelled by its name for assistive technology. */
function Detail({ id, name, children }: { id: string; name: string; children: React.ReactNode }) {
  return (
    <div className="py-2 sm:grid sm:grid-cols-[14rem_1fr] sm:gap-4">
      <dt id={id} className="font-medium">
        {name}
      </dt>
      <dd aria-labelledby={id} className="break-all">
        {children}
      </dd>
    </div>
  );
}

const BLAST_RADIUS_WARNING =
  "Without a Message-Authenticator, an attacker between the client and Factor can turn a rejected sign-in into an accepted one (Blast-RADIUS, CVE-2024-3596). Allow it only for equipment that cannot send one, on a network path you trust, and update the equipment.";

export default async function RadiusClientPage({ params }: { params: Promise<{ id: string }> }) {
  await requireAgentPage({ adminOnly: true });
  const { id } = await params;
  const client = await getRadiusClient(await getDb(), id);
  if (!client) notFound();
  const env = getEnv();
  const dialog = { hidden: { clientId: client.id } };

  return (
    <>
      <p className="mb-2 text-sm">
        <Link href="/admin/radius" className="text-brand-700 underline">
          RADIUS clients
        </Link>
      </p>
      <h1 className="text-3xl font-semibold">{client.name}</h1>
      <p className="mt-1 text-slate-700">
        {describeAudience(client.allowedRoles)} · {client.disabled ? "Disabled" : "Enabled"}
      </p>
      {client.disabled && (
        <div className="mt-4">
          <Alert kind="info">
            This client is disabled: its requests are dropped until it is enabled again.
          </Alert>
        </div>
      )}
      {!client.requireMessageAuthenticator && (
        <div className="mt-4">
          <Alert kind="error">{BLAST_RADIUS_WARNING}</Alert>
        </div>
      )}

      <section aria-labelledby="actions-heading" className="mt-6">
        <h2 id="actions-heading" className="sr-only">
          Actions
        </h2>
        <ul className="flex flex-wrap gap-3">
          <li>
            <AgentActionDialog
              {...dialog}
              label="Rotate secret"
              title="Rotate secret"
              description="Makes a new shared secret, shown once. The old secret stops working at once, so nobody can sign in through this client until its configuration has the new one."
              action={rotateRadiusSecretAction}
              secretLabel="Shared secret"
              secretNote="Copy it into the client's RADIUS settings now: it will not be shown again."
              once
              pendingLabel="Rotating…"
            />
          </li>
          {client.requireMessageAuthenticator ? (
            <li key="relax">
              <AgentActionDialog
                {...dialog}
                label="Allow requests without Message-Authenticator"
                title="Allow requests without Message-Authenticator"
                description={BLAST_RADIUS_WARNING}
                action={relaxMessageAuthenticatorAction}
                className={dangerButton}
              />
            </li>
          ) : (
            <li key="require">
              <AgentActionDialog
                {...dialog}
                label="Require Message-Authenticator"
                title="Require Message-Authenticator"
                description="Requests from this client without a valid Message-Authenticator are dropped, as they are from every client by default."
                action={requireMessageAuthenticatorAction}
              />
            </li>
          )}
          {client.disabled ? (
            <li key="enable">
              <AgentActionDialog
                {...dialog}
                label="Enable"
                title="Enable RADIUS client"
                description="Factor answers this client's requests again."
                action={enableRadiusClientAction}
              />
            </li>
          ) : (
            <li key="disable">
              <AgentActionDialog
                {...dialog}
                label="Disable"
                title="Disable RADIUS client"
                description="Factor drops this client's requests until it is enabled again. Its settings and shared secret are kept."
                action={disableRadiusClientAction}
                className={dangerButton}
              />
            </li>
          )}
          <li>
            <AgentActionDialog
              {...dialog}
              label="Delete"
              title="Delete RADIUS client"
              description="Deletes the client and its shared secret for good. To stop it for a while, disable it instead."
              action={deleteRadiusClientAction}
              className={dangerButton}
              pendingLabel="Deleting…"
            />
          </li>
        </ul>
      </section>

      <section aria-labelledby="connection-heading" className="mt-8">
        <h2 id="connection-heading" className="text-xl font-semibold">
          Connection details
        </h2>
        <p className="mt-1 max-w-prose text-slate-700">
          What the client&apos;s RADIUS settings need. The shared secret is shown only once, when it
          is made; if the client&apos;s copy is lost, use &ldquo;Rotate secret&rdquo;.
        </p>
        <dl className="mt-2 divide-y divide-slate-200">
          <Detail id="server-port" name="Authentication port (UDP)">
            {env.RADIUS_PORT === undefined ? "RADIUS is off: set RADIUS_PORT" : env.RADIUS_PORT}
          </Detail>
          <Detail id="client-address" name="Client address">
            <span className="font-mono">{client.address}</span>
          </Detail>
          <Detail id="message-authenticator" name="Message-Authenticator">
            {client.requireMessageAuthenticator
              ? "Required on every Access-Request; always sent in replies"
              : "Not required (unsafe); always sent in replies"}
          </Detail>
          <Detail id="timeout" name="Client timeout">
            {`At least ${env.RADIUS_PUSH_TIMEOUT_SECONDS + 5} seconds: a push or call waits up to ${env.RADIUS_PUSH_TIMEOUT_SECONDS}.`}
          </Detail>
        </dl>
      </section>
    </>
  );
}
