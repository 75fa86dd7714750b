import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { dangerButton } from "@/components/ui/button-styles";
import { requireAgentPage } from "@/lib/admin/guard";
import { getRadiusClient } from "@/lib/admin/radius-clients";
import { getDb } from "@/lib/db/client";
import { getEnv } from "@/lib/env";
import { ConnectionDetails } from "../../_components/connection-details";
import { Detail } from "../../_components/detail";
import { IntegrationHeading } from "../../_components/integration-heading";
import { LifecycleActions } from "../../_components/lifecycle-actions";
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

const BLAST_RADIUS_WARNING =
  "Without a Message-Authenticator, an attacker between the client and Factor can turn a rejected sign-in into an accepted one (Blast-RADIUS, CVE-2024-3596). Allow it only for equipment that cannot send one, on a network path you trust, and update the equipment.";

export default async function RadiusClientPage({ params }: { params: Promise<{ id: string }> }) {
  await requireAgentPage({ adminOnly: true });
  const { id } = await params;
  const client = await getRadiusClient(await getDb(), id);
  if (!client) notFound();
  const env = getEnv();
  const hidden = { clientId: client.id };

  return (
    <>
      <IntegrationHeading
        list={{ href: "/admin/radius", label: "RADIUS clients" }}
        name={client.name}
        summary={[describeAudience(client.allowedRoles), client.disabled ? "Disabled" : "Enabled"]}
        notices={[
          client.disabled && {
            kind: "info",
            text: "This client is disabled: its requests are dropped until it is enabled again.",
          },
          !client.requireMessageAuthenticator && { kind: "error", text: BLAST_RADIUS_WARNING },
        ]}
      />
      <LifecycleActions
        noun="RADIUS client"
        hidden={hidden}
        disabled={client.disabled}
        rotate={{
          label: "Rotate secret",
          description:
            "Makes a new shared secret, shown once. The old secret stops working at once, so nobody can sign in through this client until its configuration has the new one.",
          action: rotateRadiusSecretAction,
          secretLabel: "Shared secret",
          secretNote: "Copy it into the client's RADIUS settings now: it will not be shown again.",
        }}
        enable={{
          description: "Factor answers this client's requests again.",
          action: enableRadiusClientAction,
        }}
        disable={{
          description:
            "Factor drops this client's requests until it is enabled again. Its settings and shared secret are kept.",
          action: disableRadiusClientAction,
        }}
        remove={{
          description:
            "Deletes the client and its shared secret for good. To stop it for a while, disable it instead.",
          action: deleteRadiusClientAction,
        }}
      >
        {client.requireMessageAuthenticator ? (
          <li key="relax">
            <AgentActionDialog
              hidden={hidden}
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
              hidden={hidden}
              label="Require Message-Authenticator"
              title="Require Message-Authenticator"
              description="Requests from this client without a valid Message-Authenticator are dropped, as they are from every client by default."
              action={requireMessageAuthenticatorAction}
            />
          </li>
        )}
      </LifecycleActions>

      <ConnectionDetails
        intro={
          <>
            What the client&apos;s RADIUS settings need. The shared secret is shown only once, when
            it is made; if the client&apos;s copy is lost, use &ldquo;Rotate secret&rdquo;.
          </>
        }
      >
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
      </ConnectionDetails>
    </>
  );
}
