import { createServer, type Server } from "node:http";
import * as client from "openid-client";

// A small app that signs its users in through Factor, the way any campus system would: node:http
// and openid-client (the certified relying-party library), nothing of Factor's own code. Its
// pages show what it received, so a test reads them as a person would.

export type RelyingParty = {
  /** The app's name, as registered and as its pages say it. */
  name: string;
  url: string;
  /** Logout tokens Factor delivered to the back-channel logout URI. */
  logoutTokens: string[];
  stop: () => Promise<void>;
};

function escape(value: string): string {
  return value.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

function page(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head><body><main><h1>${escape(title)}</h1>${body}</main></body></html>`;
}

/**
 * Starts the app on `port`. `/login` begins a sign-in (`?prompt=login`, `?max_age=0` pass on;
 * `?pkce=none` leaves PKCE out); `/callback` finishes it and shows the claims; `/replay` spends
 * the last code again; `/refresh` uses the refresh token; `/backchannel-logout` takes logouts.
 */
export async function startRelyingParty(options: {
  name: string;
  port: number;
  issuer: string;
  clientId: string;
  clientSecret?: string;
}): Promise<RelyingParty> {
  const url = `http://localhost:${options.port}`;
  const redirectUri = `${url}/callback`;
  const config = await client.discovery(
    new URL(options.issuer),
    options.clientId,
    options.clientSecret,
    options.clientSecret ? client.ClientSecretBasic(options.clientSecret) : client.None(),
    { execute: [client.allowInsecureRequests] },
  );
  const pending = new Map<string, string>();
  const logoutTokens: string[] = [];
  let lastCallback: { url: URL; verifier: string; state: string } | undefined;
  let refreshToken: string | undefined;

  const server: Server = createServer((req, res) => {
    const here = new URL(req.url ?? "/", url);
    const send = (status: number, title: string, body = "") => {
      res.writeHead(status, { "Content-Type": "text/html; charset=utf-8" });
      res.end(page(title, body));
    };
    const handle = async () => {
      switch (here.pathname) {
        case "/login": {
          const verifier = client.randomPKCECodeVerifier();
          const state = client.randomState();
          pending.set(state, verifier);
          const parameters: Record<string, string> = {
            redirect_uri: redirectUri,
            scope: "openid email profile offline_access",
            state,
          };
          if (here.searchParams.get("pkce") !== "none") {
            parameters.code_challenge = await client.calculatePKCECodeChallenge(verifier);
            parameters.code_challenge_method = "S256";
          }
          for (const name of ["prompt", "max_age", "redirect_uri"]) {
            const value = here.searchParams.get(name);
            if (value !== null) parameters[name] = value;
          }
          res.writeHead(303, { Location: client.buildAuthorizationUrl(config, parameters).href });
          res.end();
          return;
        }
        case "/callback": {
          const error = here.searchParams.get("error");
          if (error)
            return send(
              200,
              `${options.name}: sign-in refused`,
              `<p id="error">${escape(error)}</p>`,
            );
          const state = here.searchParams.get("state") ?? "";
          const verifier = pending.get(state) ?? "";
          pending.delete(state);
          lastCallback = { url: here, verifier, state };
          const tokens = await client.authorizationCodeGrant(config, here, {
            pkceCodeVerifier: verifier,
            expectedState: state,
          });
          refreshToken = tokens.refresh_token;
          const claims = tokens.claims()!;
          const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
          const shown = { ...claims, ...userinfo };
          return send(
            200,
            `Signed in to ${options.name}`,
            `<dl>${Object.entries(shown)
              .map(
                ([k, v]) =>
                  `<dt>${escape(k)}</dt><dd data-claim="${escape(k)}">${escape(Array.isArray(v) ? v.join(" ") : String(v))}</dd>`,
              )
              .join("")}</dl>`,
          );
        }
        case "/replay": {
          if (!lastCallback) return send(400, "Nothing to replay");
          try {
            await client.authorizationCodeGrant(config, lastCallback.url, {
              pkceCodeVerifier: lastCallback.verifier,
              expectedState: lastCallback.state,
            });
            return send(200, "Replayed code accepted");
          } catch (error) {
            return send(
              200,
              "Replayed code refused",
              `<p id="error">${escape(errorCode(error))}</p>`,
            );
          }
        }
        case "/refresh": {
          if (!refreshToken) return send(400, "No refresh token");
          try {
            const tokens = await client.refreshTokenGrant(config, refreshToken);
            refreshToken = tokens.refresh_token ?? refreshToken;
            return send(200, "Refresh accepted");
          } catch (error) {
            return send(200, "Refresh refused", `<p id="error">${escape(errorCode(error))}</p>`);
          }
        }
        case "/backchannel-logout": {
          let body = "";
          for await (const chunk of req) body += String(chunk);
          const token = new URLSearchParams(body).get("logout_token");
          if (token) logoutTokens.push(token);
          res.writeHead(token ? 200 : 400);
          res.end();
          return;
        }
        default:
          return send(404, "Not found");
      }
    };
    handle().catch((error) =>
      send(500, `${options.name}: error`, `<p id="error">${escape(errorCode(error))}</p>`),
    );
  });
  await new Promise<void>((resolve) => server.listen(options.port, resolve));
  return {
    name: options.name,
    url,
    logoutTokens,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function errorCode(error: unknown): string {
  const { error: code, message } = error as { error?: string; message?: string };
  return code ?? message ?? String(error);
}
