import { createHmac } from "node:crypto";
import Provider, {
  interactionPolicy,
  type Configuration,
  type KoaContextWithOIDC,
} from "oidc-provider";
import type { Db } from "@/lib/db/client";
import { ACR_VALUES, clientSecretMatches, findApp, mayUseApp } from "@/lib/apps/registry";
import { needsConsent } from "@/lib/apps/consent";
import { accountClaims, SCOPE_CLAIMS } from "./account";
import { drizzleAdapter } from "./adapter";
import { factorSessionFromCookies } from "./factor-session";
import { errorPage, signedOutPage, signOutPage } from "./pages";
import { olderThan, sessionMeetsApp } from "./sign-in-bridge";
import { loadSigningKeys } from "./signing-keys";
import { INTERACTION_PATH, OIDC_PATH } from "@/lib/apps/provider-paths";

// Factor's OpenID Connect provider (docs/decisions/0017). oidc-provider does all of OAuth and
// the tokens; this file only configures it. Every authorization ends at Factor's own sign-in
// (lib/oidc/sign-in-bridge.ts), and a provider session counts only while the portal session it
// came from is live: signing out of Factor, or being signed out by anyone, ends single sign-on.

/** Lifetimes, in seconds. A code is for a redirect; an access token for a few API calls. */
export const TOKEN_SECONDS = {
  AuthorizationCode: 60,
  AccessToken: 600,
  IdToken: 3600,
  RefreshToken: 14 * 24 * 3600,
  Interaction: 600,
  Session: 14 * 24 * 3600,
  Grant: 14 * 24 * 3600,
} as const;

export type ProviderOptions = {
  /** PUBLIC_URL: what apps are told to trust. */
  issuer: string;
  /** Keys the provider's cookies are signed with. */
  authSecret: string;
};

/** The login prompt's extra check: the portal session must be live, allowed and strong enough. */
function factorSessionCheck(db: Db) {
  return new interactionPolicy.Check(
    "factor_session",
    "A Factor session is required",
    async (ctx: KoaContextWithOIDC) => {
      // An interaction that just finished decided with the session in hand.
      if (ctx.oidc.result?.login) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      const session = await factorSessionFromCookies(db, ctx.get("cookie"));
      const app = ctx.oidc.client ? await findApp(db, ctx.oidc.client.clientId) : null;
      const maxAge = Number(ctx.oidc.params?.max_age);
      const ready =
        session !== null &&
        !olderThan(session, Number.isFinite(maxAge) ? maxAge : undefined) &&
        app !== null &&
        session.user.id === ctx.oidc.session?.accountId &&
        mayUseApp(app, session.user.role) &&
        sessionMeetsApp(session, app);
      return ready
        ? interactionPolicy.Check.NO_NEED_TO_PROMPT
        : interactionPolicy.Check.REQUEST_PROMPT;
    },
  );
}

function configuration(
  db: Db,
  options: ProviderOptions,
  keys: Configuration["jwks"],
): Configuration {
  const policy = interactionPolicy.base();
  policy.get("login")!.checks.add(factorSessionCheck(db));
  const cookieKey = createHmac("sha256", options.authSecret)
    .update("oidc-cookies")
    .digest("base64url");
  const secure = options.issuer.startsWith("https:");

  return {
    adapter: drizzleAdapter(db),
    jwks: keys,
    clients: [],
    cookies: {
      keys: [cookieKey],
      names: {
        session: "factor.oidc.session",
        interaction: "factor.oidc.interaction",
        resume: "factor.oidc.resume",
      },
      long: { httpOnly: true, sameSite: "lax", signed: true, secure },
      short: { httpOnly: true, sameSite: "lax", signed: true, secure },
    },
    async findAccount(_ctx, sub) {
      const claims = await accountClaims(db, sub);
      if (!claims) return undefined;
      return {
        accountId: sub,
        async claims() {
          return { ...claims, sub };
        },
      };
    },
    claims: Object.fromEntries(
      Object.entries(SCOPE_CLAIMS).map(([scope, names]) => [scope, [...names]]),
    ),
    scopes: ["openid", "offline_access", "email", "profile"],
    responseTypes: ["code"],
    acrValues: [ACR_VALUES.mfa, ACR_VALUES.phishing_resistant],
    enabledJWA: { idTokenSigningAlgValues: ["RS256"], userinfoSigningAlgValues: ["RS256"] },
    clientAuthMethods: ["client_secret_basic", "client_secret_post", "none"],
    // Apps get a refresh token without `offline_access` (which the standard ignores without a
    // consent prompt, and ours has none); it then lives only as long as the sign-in it came from.
    async issueRefreshToken(_ctx, client) {
      return client.grantTypeAllowed("refresh_token");
    },
    // Every refresh rotates the token; the used one is consumed, and a reuse revokes the grant.
    rotateRefreshToken: true,
    ttl: { ...TOKEN_SECONDS },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: signOutPage,
        postLogoutSuccessSource: signedOutPage,
      },
    },
    routes: {
      authorization: `${OIDC_PATH}/auth`,
      token: `${OIDC_PATH}/token`,
      userinfo: `${OIDC_PATH}/me`,
      jwks: `${OIDC_PATH}/jwks`,
      end_session: `${OIDC_PATH}/session/end`,
      revocation: `${OIDC_PATH}/token/revocation`,
      introspection: `${OIDC_PATH}/token/introspection`,
      registration: `${OIDC_PATH}/reg`,
      pushed_authorization_request: `${OIDC_PATH}/request`,
      code_verification: `${OIDC_PATH}/device`,
      device_authorization: `${OIDC_PATH}/device/auth`,
      backchannel_authentication: `${OIDC_PATH}/backchannel`,
      challenge: `${OIDC_PATH}/challenge`,
    },
    interactions: {
      policy,
      url: (_ctx, interaction) => `${INTERACTION_PATH}/${interaction.uid}`,
    },
    // The grant covers what is asked, once the person allowed it where the app asks for consent
    // (lib/apps/consent.ts); until then the provider's consent prompt sends them to the bridge.
    async loadExistingGrant(ctx) {
      const { client, session } = ctx.oidc;
      if (!client || !session?.accountId) return undefined;
      const grantId = ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
      const existing = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
      const asked = String(ctx.oidc.params?.scope ?? "openid").split(" ");
      const blank = () =>
        new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      const app = await findApp(db, client.clientId);
      // An empty grant, even where an older one covers the scopes: consent is asked first.
      if (!app || (await needsConsent(db, app, session.accountId, asked))) return blank();
      const grant = existing ?? blank();
      const granted = new Set((grant.getOIDCScope() ?? "").split(" "));
      // Written only when it changes: single sign-on reads it and answers.
      if (!existing || asked.some((scope) => !granted.has(scope))) {
        grant.addOIDCScope(asked.join(" "));
        session.grantIdFor(client.clientId, await grant.save());
      }
      return grant;
    },
    clientBasedCORS(_ctx, origin, client) {
      return client.redirectUris?.some((uri) => URL.parse(uri)?.origin === origin) ?? false;
    },
    renderError: errorPage,
    // The provider only calls addresses an administrator registered (back-channel logout URIs;
    // apps cannot register themselves), and the organisation's apps often live on its private
    // network, which the provider's default guard against request forgery refuses.
    fetch(url, options) {
      const { dispatcher: _guard, ...rest } = options as RequestInit & { dispatcher?: unknown };
      return globalThis.fetch(url, rest);
    },
  };
}

/** Builds the provider on `db`, with its signing keys (made on first start). */
export async function createProvider(db: Db, options: ProviderOptions): Promise<Provider> {
  const keys = { keys: await loadSigningKeys(db) };
  const provider = new Provider(options.issuer, configuration(db, options, keys));
  // server.ts drops forwarding headers from untrusted peers, so the ones left can be believed.
  provider.proxy = true;
  // Secrets are stored hashed (lib/apps/registry.ts); the provider compares what it is shown.
  provider.Client.prototype.compareClientSecret = function compareClientSecret(
    this: { clientSecret?: string },
    actual: string,
  ) {
    return Promise.resolve(
      this.clientSecret !== undefined && clientSecretMatches(actual, this.clientSecret),
    );
  };
  return provider;
}
