import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { SelectField } from "@/components/forms/field";
import { dangerButton } from "@/components/ui/button-styles";
import { getApiService } from "@/lib/admin/api-services";
import { requireAgentPage } from "@/lib/admin/guard";
import { getDb } from "@/lib/db/client";
import { getEnv } from "@/lib/env";
import { ConnectionDetails } from "../../_components/connection-details";
import { Detail } from "../../_components/detail";
import { IntegrationHeading } from "../../_components/integration-heading";
import { LifecycleActions } from "../../_components/lifecycle-actions";
import { AUDIENCES, audienceValue, describeAudience } from "../../apps/app-choices";
import { AgentActionDialog } from "../../users/[id]/agent-action-dialog";
import {
  changeApiServiceAudienceAction,
  deleteApiServiceAction,
  disableApiServiceAction,
  enableApiServiceAction,
  relaxApiServicePasswordAction,
  requireApiServicePasswordAction,
  rotateApiKeyAction,
} from "../actions";
import { describeMoment, describePassword } from "../service-choices";

export const metadata: Metadata = { title: "Service" };

const NO_PASSWORD_WARNING =
  "Without the password, the key alone lets this service ask any person allowed on it for their second factor. Use it only for a service that has proven who the person is, such as an SSH server after their key, and keep its key as safe as that proof.";

export default async function ApiServicePage({ params }: { params: Promise<{ id: string }> }) {
  await requireAgentPage({ adminOnly: true });
  const { id } = await params;
  const service = await getApiService(await getDb(), id);
  if (!service) notFound();
  const env = getEnv();
  const hidden = { serviceId: service.id };

  return (
    <>
      <IntegrationHeading
        list={{ href: "/admin/services", label: "Services" }}
        name={service.name}
        summary={[
          describeAudience(service.allowedRoles),
          describePassword(service.passwordRequired),
          service.disabled ? "Disabled" : "Enabled",
        ]}
        notices={[
          service.disabled && {
            kind: "info",
            text: "This service is disabled: its key is refused until it is enabled again.",
          },
          !service.passwordRequired && { kind: "info", text: NO_PASSWORD_WARNING },
        ]}
      />
      <LifecycleActions
        noun="service"
        hidden={hidden}
        disabled={service.disabled}
        rotate={{
          label: "Rotate key",
          description:
            "Makes a new API key, shown once. The old key stops working at once, so the service cannot ask Factor until its configuration has the new one.",
          action: rotateApiKeyAction,
          secretLabel: "API key",
          secretNote: "Copy it into the service's configuration now: it will not be shown again.",
        }}
        enable={{
          description: "Factor answers this service's calls again.",
          action: enableApiServiceAction,
        }}
        disable={{
          description:
            "Factor refuses this service's key until it is enabled again. Its settings and key are kept.",
          action: disableApiServiceAction,
        }}
        remove={{
          description:
            "Deletes the service and its key for good. To stop it for a while, disable it instead.",
          action: deleteApiServiceAction,
        }}
      >
        <li>
          <AgentActionDialog
            hidden={hidden}
            label="Change who can use it"
            title="Change who can use it"
            description="People outside the chosen roles are refused after their password, with “This account may not use this service”."
            action={changeApiServiceAudienceAction}
          >
            <SelectField
              label="Who can use it"
              name="allowedRoles"
              options={AUDIENCES}
              defaultValue={audienceValue(service.allowedRoles)}
            />
          </AgentActionDialog>
        </li>
        {service.passwordRequired ? (
          <li key="relax">
            <AgentActionDialog
              hidden={hidden}
              label="Stop requiring the password"
              title="Stop requiring the password"
              description={NO_PASSWORD_WARNING}
              action={relaxApiServicePasswordAction}
              className={dangerButton}
            />
          </li>
        ) : (
          <li key="require">
            <AgentActionDialog
              hidden={hidden}
              label="Require the password"
              title="Require the password"
              description="Every call from this service must send the person's password before their second factor, as by default."
              action={requireApiServicePasswordAction}
            />
          </li>
        )}
      </LifecycleActions>

      <ConnectionDetails
        intro={
          <>
            What the service&apos;s configuration needs. The key is shown only once, when it is
            made; if the service&apos;s copy is lost, use &ldquo;Rotate key&rdquo;.
          </>
        }
      >
        <dl className="mt-2 divide-y divide-slate-200">
          <Detail id="endpoint" name="Endpoint">
            <span className="font-mono">POST {env.PUBLIC_URL}/api/v1/verify</span>
          </Detail>
          <Detail id="key-prefix" name="Key starts with">
            <span className="font-mono">{service.keyPrefix}</span>
          </Detail>
          <Detail id="asks-for" name="Asks for">
            {describePassword(service.passwordRequired)}
          </Detail>
          <Detail id="timeout" name="Client timeout">
            {`At least ${env.RADIUS_PUSH_TIMEOUT_SECONDS + 5} seconds: a push or call waits up to ${env.RADIUS_PUSH_TIMEOUT_SECONDS}.`}
          </Detail>
          <Detail id="last-used" name="Last used">
            {describeMoment(service.lastUsedAt)}
          </Detail>
        </dl>
      </ConnectionDetails>
    </>
  );
}
