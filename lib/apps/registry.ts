import { createHash, timingSafeEqual } from "node:crypto";
import { and, eq, isNull } from "drizzle-orm";
import type { Executor } from "@/lib/db/client";
import { apps, oidcRecords, roleEnum } from "@/lib/db/schema";
import { INTERACTION_PATH } from "./provider-paths";

type Role = (typeof roleEnum.enumValues)[number];

// The applications registered in the console, as the provider and the sign-in bridge read them.
// Writing them (add, rotate, disable, delete, audited) is the console's: lib/admin/apps.ts.

export type App = typeof apps.$inferSelect;

/** The proof an app asks for, as the ID token's `acr` names it (OpenID PAPE policies). */
export const ACR_VALUES = {
  mfa: "http://schemas.openid.net/pape/policies/2007/06/multi-factor",
  phishing_resistant: "http://schemas.openid.net/pape/policies/2007/06/phishing-resistant",
} as const;

/** The app with this client ID, enabled or not, or null. */
export async function findApp(db: Executor, clientId: string): Promise<App | null> {
  if (clientId.length > 200) return null;
  const [app] = await db.select().from(apps).where(eq(apps.clientId, clientId)).limit(1);
  return app ?? null;
}

/** Whether any enabled app is registered: the portal links to My apps only then. */
export async function hasEnabledApps(db: Executor): Promise<boolean> {
  const [row] = await db.select({ id: apps.id }).from(apps).where(isNull(apps.disabledAt)).limit(1);
  return row !== undefined;
}

/** Whether someone with this role may use the app. */
export function mayUseApp(app: Pick<App, "allowedRoles">, role: Role): boolean {
  return app.allowedRoles === null || app.allowedRoles.includes(role);
}

/** The stored form of a client secret. */
export function hashClientSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/** Compares a presented client secret with the stored hash, in constant time. */
export function clientSecretMatches(presented: string, storedHash: string): boolean {
  const presentedHash = Buffer.from(hashClientSecret(presented), "hex");
  const stored = Buffer.from(storedHash, "hex");
  return stored.length === presentedHash.length && timingSafeEqual(stored, presentedHash);
}

/**
 * The client metadata the provider works with. A disabled app is not found at all, so every
 * request from it ends at the provider's error page; the secret is the hash (see compareClientSecret
 * in lib/oidc/provider.ts).
 */
export function clientMetadata(app: App): Record<string, unknown> | undefined {
  if (app.disabledAt) return undefined;
  const web = app.kind === "web";
  return {
    client_id: app.clientId,
    client_name: app.name,
    ...(web && app.secretHash
      ? { client_secret: app.secretHash, token_endpoint_auth_method: "client_secret_basic" }
      : { token_endpoint_auth_method: "none" }),
    application_type: "web",
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    redirect_uris: app.redirectUris,
    post_logout_redirect_uris: app.postLogoutRedirectUris,
    ...(app.backchannelLogoutUri
      ? {
          backchannel_logout_uri: app.backchannelLogoutUri,
          backchannel_logout_session_required: true,
        }
      : {}),
  };
}

/** An app's sign-in request waiting for the person: the app and the scopes it asks for. */
export type PendingRequest = { app: App; scopes: string[] };

/** The pending request with this interaction id, or null. */
export async function pendingRequest(db: Executor, uid: string): Promise<PendingRequest | null> {
  if (!/^[A-Za-z0-9_-]{10,64}$/.test(uid)) return null;
  const [row] = await db
    .select({ payload: oidcRecords.payload })
    .from(oidcRecords)
    .where(and(eq(oidcRecords.kind, "Interaction"), eq(oidcRecords.id, uid)));
  const params = (row?.payload.params ?? {}) as { client_id?: unknown; scope?: unknown };
  if (typeof params.client_id !== "string") return null;
  const app = await findApp(db, params.client_id);
  const scopes = typeof params.scope === "string" ? params.scope.split(" ") : ["openid"];
  return app && { app, scopes };
}

/** The app a pending request is for, found by the interaction's id (for the refusal page). */
export async function appOfInteraction(db: Executor, uid: string): Promise<App | null> {
  return (await pendingRequest(db, uid))?.app ?? null;
}

/**
 * The app a sign-in is for, when it started at an app's request: its return path is that
 * request's interaction. Null for the portal's own sign-ins and for an app since disabled.
 */
export async function appOfCallback(db: Executor, callbackPath: string): Promise<App | null> {
  const prefix = `${INTERACTION_PATH}/`;
  if (!callbackPath.startsWith(prefix)) return null;
  const app = await appOfInteraction(db, callbackPath.slice(prefix.length).split(/[/?]/)[0]!);
  return app && !app.disabledAt ? app : null;
}
