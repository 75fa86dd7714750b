import { randomBytes } from "node:crypto";
import { apps } from "@/lib/db/schema";
import { hashClientSecret } from "@/lib/apps/registry";
import { openConfiguredDatabase } from "../../scripts/open-configured-database";

// Registers apps for an end-to-end test before its server opens the data folder, as the console
// would: a random client ID and, for a web app, a secret kept only as its hash. Reads a JSON array
// of NewTestApp on stdin and prints [{ clientId, clientSecret? }] as JSON.

export type NewTestApp = {
  name: string;
  kind: "web" | "public";
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  backchannelLogoutUri?: string;
  allowedRoles?: ("user" | "helpdesk" | "admin")[];
  proof?: "mfa" | "phishing_resistant";
  askConsent?: boolean;
  disabled?: boolean;
};

const input = JSON.parse(await new Response(process.stdin as never).text()) as NewTestApp[];
const database = await openConfiguredDatabase();
try {
  const created = [];
  for (const app of input) {
    const clientId = randomBytes(18).toString("base64url");
    const clientSecret = app.kind === "web" ? randomBytes(32).toString("base64url") : undefined;
    await database.db.insert(apps).values({
      clientId,
      name: app.name,
      kind: app.kind,
      secretHash: clientSecret ? hashClientSecret(clientSecret) : null,
      redirectUris: app.redirectUris,
      postLogoutRedirectUris: app.postLogoutRedirectUris ?? [],
      backchannelLogoutUri: app.backchannelLogoutUri ?? null,
      allowedRoles: app.allowedRoles ?? null,
      proof: app.proof ?? "mfa",
      askConsent: app.askConsent ?? false,
      disabledAt: app.disabled ? new Date() : null,
    });
    created.push({ clientId, clientSecret });
  }
  console.log(JSON.stringify(created));
} finally {
  await database.close();
}
