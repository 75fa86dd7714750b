import type { IncomingMessage, ServerResponse } from "node:http";
import type Provider from "oidc-provider";
import type { Db } from "@/lib/db/client";
import { revokeSession } from "@/lib/auth/sessions";
import { createProvider, type ProviderOptions } from "./provider";
import { DISCOVERY_PATH, INTERACTION_PATH, OIDC_PATH } from "@/lib/apps/provider-paths";
import { factorSessionFromCookies } from "./factor-session";
import { recordAppSignIn } from "./records";
import { handleInteraction } from "./sign-in-bridge";
import { setRunningProvider } from "@/lib/apps/running-provider";

// server.ts hands every request here first; what is not the provider's goes on to Next.

/**
 * The provider's pages have no script, and its sign-out form ends at the app's own address, which
 * the portal's `form-action 'self'` would block.
 */
const PROVIDER_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action *; frame-ancestors 'none'; base-uri 'none'";

const INTERACTION = new RegExp(`^${INTERACTION_PATH}/([A-Za-z0-9_-]{1,64})(/abort)?$`);

/** Next's client router fetches a page's data before navigating; a provider URL must load as a page. */
function isRouterFetch(req: IncomingMessage): boolean {
  return req.headers.rsc !== undefined || req.headers["next-router-prefetch"] !== undefined;
}

export type OidcHandler = {
  provider: Provider;
  /** Serves the request and returns true when it is the provider's; false leaves it to Next. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
};

export async function startOidc(db: Db, options: ProviderOptions): Promise<OidcHandler> {
  const provider = await createProvider(db, options);
  const callback = provider.callback();
  provider.on("authorization.success", (ctx) => {
    recordAppSignIn(db, ctx).catch((error) => console.error("Recording an app sign-in:", error));
  });
  // An app's "sign out" ends the portal session too.
  provider.on("end_session.success", (ctx) => {
    factorSessionFromCookies(db, ctx.get("cookie"))
      .then((session) => session && revokeSession(db, session.id, "app_sign_out"))
      .catch((error) => console.error("Ending the portal session:", error));
  });
  provider.on("server_error", (_ctx, error) => console.error("OpenID Connect provider:", error));
  setRunningProvider(provider);

  return {
    provider,
    handle(req, res) {
      const path = (req.url ?? "/").split("?")[0]!;
      if (path !== DISCOVERY_PATH && path !== OIDC_PATH && !path.startsWith(`${OIDC_PATH}/`)) {
        return false;
      }
      res.setHeader("Content-Security-Policy", PROVIDER_CSP);
      if (isRouterFetch(req)) {
        res.statusCode = 204;
        res.end();
        return true;
      }
      const interaction = INTERACTION.exec(path);
      if (interaction && req.method === "GET") {
        handleInteraction(
          provider,
          db,
          req,
          res,
          interaction[1]!,
          interaction[2] !== undefined,
        ).catch((error) => {
          console.error("OpenID Connect sign-in:", error);
          if (!res.headersSent) res.statusCode = 500;
          res.end();
        });
        return true;
      }
      void callback(req, res);
      return true;
    },
  };
}
