import { and, eq, sql } from "drizzle-orm";
import { writeAudit } from "@/lib/audit/log";
import type { Db, Executor } from "@/lib/db/client";
import { appConsents } from "@/lib/db/schema";
import type { RequestContext } from "@/lib/types/request";
import type { App } from "./registry";

// Consent for apps the console marks "Ask people to consent": the person sees what the app will
// receive and allows it once; the answer is kept until they remove the app's access in My apps.
// The organisation's own apps usually do not ask, and need nothing here.

/** The scopes the person already allowed the app to receive. */
async function allowedScopes(db: Executor, userId: string, appId: string): Promise<Set<string>> {
  const [row] = await db
    .select({ scopes: appConsents.scopes })
    .from(appConsents)
    .where(and(eq(appConsents.userId, userId), eq(appConsents.appId, appId)));
  return new Set(row?.scopes ?? []);
}

/** Whether the app must ask the person before it receives these scopes. */
export async function needsConsent(
  db: Executor,
  app: Pick<App, "id" | "askConsent">,
  userId: string,
  scopes: string[],
): Promise<boolean> {
  if (!app.askConsent) return false;
  const allowed = await allowedScopes(db, userId, app.id);
  return scopes.some((scope) => !allowed.has(scope));
}

/** Records that the person allowed the app these scopes (added to any allowed before), audited. */
export async function allowApp(
  db: Db,
  app: Pick<App, "id" | "clientId" | "name">,
  userId: string,
  scopes: string[],
  context: RequestContext,
): Promise<void> {
  await db.transaction(async (tx) => {
    const allowed = [...new Set([...(await allowedScopes(tx, userId, app.id)), ...scopes])];
    await tx
      .insert(appConsents)
      .values({ userId, appId: app.id, scopes: allowed })
      .onConflictDoUpdate({
        target: [appConsents.userId, appConsents.appId],
        set: { scopes: allowed, grantedAt: sql`now()` },
      });
    await writeAudit(tx, {
      action: "apps.consent.given",
      outcome: "success",
      actorId: userId,
      subjectId: userId,
      ...context,
      details: { clientId: app.clientId, app: app.name, scopes: allowed.join(" ") },
    });
  });
}

/** Forgets what the person allowed the app: the next sign-in to it asks again. */
export async function forgetConsent(db: Executor, userId: string, appId: string): Promise<void> {
  await db
    .delete(appConsents)
    .where(and(eq(appConsents.userId, userId), eq(appConsents.appId, appId)));
}
