import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { Alert } from "@/components/ui/alert";
import { dangerButton } from "@/components/ui/button-styles";
import { getApp } from "@/lib/admin/apps";
import { requireAgentPage } from "@/lib/admin/guard";
import { getDb } from "@/lib/db/client";
import { getEnv } from "@/lib/env";
import { AgentActionDialog } from "../../users/[id]/agent-action-dialog";
import { ClientSecretPanel } from "../_components/client-secret-panel";
import { describeAudience, formValuesOf, KIND_NAMES, PROOF_NAMES } from "../app-choices";
import {
  deleteAppAction,
  disableAppAction,
  enableAppAction,
  rotateAppSecretAction,
} from "./actions";
import { EditAppForm } from "./edit-app-form";

export const metadata: Metadata = { title: "Application" };

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

function UriList({ uris }: { uris: string[] }) {
  if (uris.length === 0) return <>None</>;
  return (
    <ul>
      {uris.map((uri) => (
        <li key={uri} className="font-mono text-sm">
          {uri}
        </li>
      ))}
    </ul>
  );
}

export default async function AppPage({ params }: { params: Promise<{ id: string }> }) {
  await requireAgentPage({ adminOnly: true });
  const { id } = await params;
  const app = await getApp(await getDb(), id);
  if (!app) notFound();
  // What the app's configuration needs: the provider's address comes from PUBLIC_URL, never
  // from the request's Host header (R-A17.8).
  const issuer = getEnv().PUBLIC_URL;
  const dialog = { hidden: { appId: app.id } };

  return (
    <>
      <p className="mb-2 text-sm">
        <Link href="/admin/apps" className="text-brand-700 underline">
          Applications
        </Link>
      </p>
      <h1 className="text-3xl font-semibold">{app.name}</h1>
      <p className="mt-1 text-slate-700">
        {KIND_NAMES[app.kind]} · {describeAudience(app.allowedRoles)} · {PROOF_NAMES[app.proof]} ·{" "}
        {app.askConsent ? "Asks for consent · " : ""}
        {app.disabled ? "Disabled" : "Enabled"}
      </p>
      {app.disabled && (
        <div className="mt-4">
          <Alert kind="info">
            This application is disabled: nobody can sign in to it through Factor until it is
            enabled again.
          </Alert>
        </div>
      )}

      <section aria-labelledby="actions-heading" className="mt-6">
        <h2 id="actions-heading" className="sr-only">
          Actions
        </h2>
        <ul className="flex flex-wrap gap-3">
          {app.kind === "web" && (
            <li>
              <AgentActionDialog
                {...dialog}
                label="Rotate secret"
                title="Rotate secret"
                description="Makes a new client secret, shown once. The old secret stops working at once, so the app cannot sign anyone in until its configuration has the new one."
                action={rotateAppSecretAction}
                secretLabel="Client secret"
                secretNote="Copy it into the app's configuration now: it will not be shown again."
                once
                pendingLabel="Rotating…"
              />
            </li>
          )}
          {app.disabled ? (
            <li key="enable">
              <AgentActionDialog
                {...dialog}
                label="Enable"
                title="Enable application"
                description="People who may use the application can sign in to it through Factor again."
                action={enableAppAction}
              />
            </li>
          ) : (
            <li key="disable">
              <AgentActionDialog
                {...dialog}
                label="Disable"
                title="Disable application"
                description="Nobody can sign in to the application through Factor until it is enabled again. Its settings and client secret are kept."
                action={disableAppAction}
                className={dangerButton}
              />
            </li>
          )}
          <li>
            <AgentActionDialog
              {...dialog}
              label="Delete"
              title="Delete application"
              description="Deletes the application and its client secret for good; it can no longer sign anyone in. To stop it for a while, disable it instead."
              action={deleteAppAction}
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
          What the application&apos;s OpenID Connect settings need. Most apps only need the
          discovery URL, the client ID and, for a web app, the client secret.
        </p>
        <dl className="mt-2 divide-y divide-slate-200">
          <Detail id="client-id" name="Client ID">
            <span className="font-mono select-all">{app.clientId}</span>
          </Detail>
        </dl>
        {app.kind === "web" && (
          <div className="my-2">
            {/* Remounted by any change, so a rotated-away secret is never left on show. */}
            <ClientSecretPanel key={app.updatedAt.toISOString()} appId={app.id} />
          </div>
        )}
        <dl className="divide-y divide-slate-200">
          <Detail id="issuer" name="Issuer">
            <span className="font-mono">{issuer}</span>
          </Detail>
          <Detail id="discovery-url" name="Discovery URL">
            <span className="font-mono">{`${issuer}/.well-known/openid-configuration`}</span>
          </Detail>
          <Detail id="client-authentication" name="Client authentication">
            {app.kind === "web"
              ? "Client secret (client_secret_basic)"
              : "None: each sign-in is proven with PKCE (S256)"}
          </Detail>
          <Detail id="redirect-uris" name="Redirect URIs">
            <UriList uris={app.redirectUris} />
          </Detail>
          <Detail id="post-logout-redirect-uris" name="Post-logout redirect URIs">
            <UriList uris={app.postLogoutRedirectUris} />
          </Detail>
          <Detail id="backchannel-logout-uri" name="Back-channel logout URI">
            {app.backchannelLogoutUri ? (
              <span className="font-mono text-sm">{app.backchannelLogoutUri}</span>
            ) : (
              "None"
            )}
          </Detail>
        </dl>
      </section>

      <section aria-labelledby="settings-heading" className="mt-8">
        <h2 id="settings-heading" className="mb-4 text-xl font-semibold">
          Settings
        </h2>
        <EditAppForm appId={app.id} values={formValuesOf(app)} />
      </section>
    </>
  );
}
