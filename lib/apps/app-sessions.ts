import { and, eq, sql } from "drizzle-orm";
import type { Executor } from "@/lib/db/client";
import { oidcRecords } from "@/lib/db/schema";
import { runningProvider } from "./running-provider";

// Ending a person's sessions at the apps: every way Factor signs someone out (sign out
// everywhere, "This wasn't me", the helpdesk, a disabled account, a password reset) goes through
// revokeUserSessions, which calls this. The app tokens stop working in the caller's transaction;
// each app with a back-channel logout URI is then told (OpenID Connect Back-Channel Logout 1.0).

type AppSession = { clientId: string; sid: string };

/** The apps signed in through the account's provider sessions, optionally one app only. */
async function appSessionsOf(
  db: Executor,
  userId: string,
  clientId?: string,
): Promise<AppSession[]> {
  const rows = await db
    .select({ payload: oidcRecords.payload })
    .from(oidcRecords)
    .where(and(eq(oidcRecords.kind, "Session"), eq(oidcRecords.accountId, userId)));
  const found = new Map<string, AppSession>();
  for (const { payload } of rows) {
    const authorizations = (payload.authorizations ?? {}) as Record<string, { sid?: string }>;
    for (const [client, authorization] of Object.entries(authorizations)) {
      if ((clientId && client !== clientId) || !authorization.sid) continue;
      found.set(`${client} ${authorization.sid}`, { clientId: client, sid: authorization.sid });
    }
  }
  return [...found.values()];
}

/** Sends the logout tokens; an app that does not answer is logged, never retried. */
async function tellApps(userId: string, appSessions: AppSession[]): Promise<void> {
  const provider = runningProvider();
  if (!provider) return;
  for (const { clientId, sid } of appSessions) {
    try {
      // Client#backchannelLogout signs and posts the logout token; the types do not declare it.
      const client = (await provider.Client.find(clientId)) as unknown as
        | {
            backchannelLogoutUri?: string;
            backchannelLogout(sub: string, sid: string): Promise<void>;
          }
        | undefined;
      if (client?.backchannelLogoutUri) await client.backchannelLogout(userId, sid);
    } catch (error) {
      console.error(`Back-channel logout to app ${clientId} failed:`, (error as Error).message);
    }
  }
}

/**
 * Ends the person's sessions and tokens at every app, or at `clientId` only; returns how many app
 * sessions ended. Refresh and access tokens are removed at once; apps are told after.
 */
export async function endAppSessions(
  db: Executor,
  userId: string,
  clientId?: string,
): Promise<number> {
  const appSessions = await appSessionsOf(db, userId, clientId);
  await db
    .delete(oidcRecords)
    .where(
      and(
        eq(oidcRecords.accountId, userId),
        clientId ? sql`${oidcRecords.payload}->>'clientId' = ${clientId}` : undefined,
      ),
    );
  if (appSessions.length > 0) setImmediate(() => void tellApps(userId, appSessions));
  return appSessions.length;
}
