import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { getApp } from "@/lib/admin/apps";
import { requireAgentPage } from "@/lib/admin/guard";
import { getDb } from "@/lib/db/client";
import { getEnv } from "@/lib/env";
import { ConnectionDetails } from "../../_components/connection-details";
import { Detail } from "../../_components/detail";
import { IntegrationHeading } from "../../_components/integration-heading";
import { LifecycleActions } from "../../_components/lifecycle-actions";
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

  return (
    <>
      <IntegrationHeading
        list={{ href: "/admin/apps", label: "Applications" }}
        name={app.name}
        summary={[
          KIND_NAMES[app.kind],
          describeAudience(app.allowedRoles),
          PROOF_NAMES[app.proof],
          app.askConsent && "Asks for consent",
          app.disabled ? "Disabled" : "Enabled",
        ]}
        notices={[
          app.disabled && {
            kind: "info",
            text: "This application is disabled: nobody can sign in to it through Factor until it is enabled again.",
          },
        ]}
      />
      <LifecycleActions
        noun="application"
        hidden={{ appId: app.id }}
        disabled={app.disabled}
        rotate={
          app.kind === "web"
            ? {
                label: "Rotate secret",
                description:
                  "Makes a new client secret, shown once. The old secret stops working at once, so the app cannot sign anyone in until its configuration has the new one.",
                action: rotateAppSecretAction,
                secretLabel: "Client secret",
                secretNote: "Copy it into the app's configuration now: it will not be shown again.",
              }
            : undefined
        }
        enable={{
          description: "People who may use the application can sign in to it through Factor again.",
          action: enableAppAction,
        }}
        disable={{
          description:
            "Nobody can sign in to the application through Factor until it is enabled again. Its settings and client secret are kept.",
          action: disableAppAction,
        }}
        remove={{
          description:
            "Deletes the application and its client secret for good; it can no longer sign anyone in. To stop it for a while, disable it instead.",
          action: deleteAppAction,
        }}
      />

      <ConnectionDetails
        intro={
          <>
            What the application&apos;s OpenID Connect settings need. Most apps only need the
            discovery URL, the client ID and, for a web app, the client secret.
          </>
        }
      >
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
      </ConnectionDetails>

      <section aria-labelledby="settings-heading" className="mt-8">
        <h2 id="settings-heading" className="mb-4 text-xl font-semibold">
          Settings
        </h2>
        <EditAppForm appId={app.id} values={formValuesOf(app)} />
      </section>
    </>
  );
}
