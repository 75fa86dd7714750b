import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { SelectField } from "@/components/forms/field";
import { Alert } from "@/components/ui/alert";
import { dangerButton } from "@/components/ui/button-styles";
import { getApiService } from "@/lib/admin/api-services";
import { requireAgentPage } from "@/lib/admin/guard";
import { getDb } from "@/lib/db/client";
import { getEnv } from "@/lib/env";
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

const NO_PASSWORD_WARNING =
  "Without the password, the key alone lets this service ask any person allowed on it for their second factor. Use it only for a service that has proven who the person is, such as an SSH server after their key, and keep its key as safe as that proof.";

export default async function ApiServicePage({ params }: { params: Promise<{ id: string }> }) {
  await requireAgentPage({ adminOnly: true });
  const { id } = await params;
  const service = await getApiService(await getDb(), id);
  if (!service) notFound();
  const env = getEnv();
  const dialog = { hidden: { serviceId: service.id } };

  return (
    <>
      <p className="mb-2 text-sm">
        <Link href="/admin/services" className="text-brand-700 underline">
          Services
        </Link>
      </p>
      <h1 className="text-3xl font-semibold">{service.name}</h1>
      <p className="mt-1 text-slate-700">
        {describeAudience(service.allowedRoles)} · {describePassword(service.passwordRequired)} ·{" "}
        {service.disabled ? "Disabled" : "Enabled"}
      </p>
      {service.disabled && (
        <div className="mt-4">
          <Alert kind="info">
            This service is disabled: its key is refused until it is enabled again.
          </Alert>
        </div>
      )}
      {!service.passwordRequired && (
        <div className="mt-4">
          <Alert kind="info">{NO_PASSWORD_WARNING}</Alert>
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
              label="Rotate key"
              title="Rotate key"
              description="Makes a new API key, shown once. The old key stops working at once, so the service cannot ask Factor until its configuration has the new one."
              action={rotateApiKeyAction}
              secretLabel="API key"
              secretNote="Copy it into the service's configuration now: it will not be shown again."
              once
              pendingLabel="Rotating…"
            />
          </li>
          <li>
            <AgentActionDialog
              {...dialog}
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
                {...dialog}
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
                {...dialog}
                label="Require the password"
                title="Require the password"
                description="Every call from this service must send the person's password before their second factor, as by default."
                action={requireApiServicePasswordAction}
              />
            </li>
          )}
          {service.disabled ? (
            <li key="enable">
              <AgentActionDialog
                {...dialog}
                label="Enable"
                title="Enable service"
                description="Factor answers this service's calls again."
                action={enableApiServiceAction}
              />
            </li>
          ) : (
            <li key="disable">
              <AgentActionDialog
                {...dialog}
                label="Disable"
                title="Disable service"
                description="Factor refuses this service's key until it is enabled again. Its settings and key are kept."
                action={disableApiServiceAction}
                className={dangerButton}
              />
            </li>
          )}
          <li>
            <AgentActionDialog
              {...dialog}
              label="Delete"
              title="Delete service"
              description="Deletes the service and its key for good. To stop it for a while, disable it instead."
              action={deleteApiServiceAction}
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
          What the service&apos;s configuration needs. The key is shown only once, when it is made;
          if the service&apos;s copy is lost, use &ldquo;Rotate key&rdquo;.
        </p>
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
      </section>
    </>
  );
}
