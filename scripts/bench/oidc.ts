import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import type { CookieJar } from "./client";
import { measureLoop, type Measurement } from "./measure";
import type { BenchState } from "./seed";

// The OpenID Connect round trip an app makes for each person who opens it already signed in to
// Factor: authorize (answered at once from the session: single sign-on) → token → userinfo.

const REDIRECT_URI = "http://127.0.0.1:9/callback";

export type BenchApp = { clientId: string; clientSecret: string };

/** Registers the bench's app before its server opens the database, as the e2e fixture does. */
export function registerBenchApp(state: BenchState): BenchApp {
  const result = spawnSync("npx", ["tsx", "e2e/support/create-apps.ts"], {
    env: {
      ...process.env,
      DATA_DIR: state.dataDir,
      DATABASE_URL: state.databaseUrl ?? "",
      AUTH_SECRET: state.authSecret,
      SEALING_KEYS: state.sealingKeys,
    },
    input: JSON.stringify([{ name: "Bench app", kind: "web", redirectUris: [REDIRECT_URI] }]),
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`could not register the bench app:\n${result.stderr}`);
  return (JSON.parse(result.stdout.trim().split("\n").at(-1)!) as BenchApp[])[0]!;
}

async function get(url: string, jar: CookieJar): Promise<Response> {
  const response = await fetch(url, { headers: { cookie: jar.header() }, redirect: "manual" });
  jar.take(response.headers.getSetCookie());
  return response;
}

/** One round trip; the first one passes through the sign-in bridge, later ones do not. */
async function roundTrip(base: string, jar: CookieJar, app: BenchApp): Promise<void> {
  const verifier = randomBytes(32).toString("base64url");
  const query = new URLSearchParams({
    client_id: app.clientId,
    redirect_uri: REDIRECT_URI,
    response_type: "code",
    scope: "openid email profile",
    state: randomBytes(8).toString("base64url"),
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
  });
  let location = `${base}/oidc/auth?${query}`;
  for (let hops = 0; hops < 6 && !location.startsWith(REDIRECT_URI); hops++) {
    const response = await get(new URL(location, base).href, jar);
    await response.arrayBuffer();
    location = response.headers.get("location") ?? "";
    if (!location) throw new Error(`authorize stopped at ${response.status} ${response.url}`);
  }
  const code = new URL(location).searchParams.get("code");
  if (!code) throw new Error(`no code in ${location}`);
  const token = await fetch(`${base}/oidc/token`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(app.clientId)}:${encodeURIComponent(app.clientSecret)}`).toString("base64")}`,
    },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    }),
  });
  const tokens = (await token.json()) as { access_token?: string; error?: string };
  if (!tokens.access_token) throw new Error(`token refused: ${tokens.error}`);
  const userinfo = await fetch(`${base}/oidc/me`, {
    headers: { authorization: `Bearer ${tokens.access_token}` },
  });
  if (userinfo.status !== 200) throw new Error(`userinfo answered ${userinfo.status}`);
  await userinfo.arrayBuffer();
}

/** Round trips by LOAD.connections apps at once for LOAD.durationSeconds; figures per round trip. */
export async function measureRoundTrips(
  base: string,
  jar: CookieJar,
  app: BenchApp,
  pids: number[],
  log: (line: string) => void,
): Promise<Measurement> {
  await roundTrip(base, jar, app);
  return measureLoop(
    "OpenID Connect round trip (authorize → token → userinfo)",
    async () => {
      await roundTrip(base, jar, app);
      return "ok";
    },
    { succeeded: "ok", pids, log },
  );
}
