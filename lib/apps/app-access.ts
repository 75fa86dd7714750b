import { and, desc, eq, isNotNull, max } from "drizzle-orm";
import { writeAudit } from "@/lib/audit/log";
import type { Db, Executor } from "@/lib/db/client";
import { apps, signInEvents } from "@/lib/db/schema";
import type { RequestContext } from "@/lib/types/request";
import type { Result } from "@/lib/types/result";
import { endAppSessions } from "./app-sessions";
import { forgetConsent } from "./consent";

// My apps: the apps a person signed in to through Factor, and "Remove access" to one of them.
//
// The list is the person's history of app sign-ins (successful ones, still within the sign-in
// events' retention), not the apps that hold a token right now: an app usually keeps a session
// of its own long after its tokens from Factor expired, which Factor cannot see. So an app stays
// listed after its access is removed, with its last sign-in, and "Remove access" can be used
// again at any time: each use ends whatever Factor has issued to the app for the person and
// tells the app to end its own session (back-channel logout). A deleted app is left out; a
// disabled one stays, since the person did sign in to it.

/** One app in My apps: its current name and the person's latest successful sign-in to it. */
export type SignedInApp = { appId: string; clientId: string; name: string; lastSignInAt: Date };

function signedInAppsQuery(db: Executor, userId: string, clientId?: string) {
  const lastSignInAt = max(signInEvents.at);
  return db
    .select({ appId: apps.id, clientId: apps.clientId, name: apps.name, lastSignInAt })
    .from(signInEvents)
    .innerJoin(apps, eq(apps.clientId, signInEvents.clientId))
    .where(
      and(
        eq(signInEvents.userId, userId),
        eq(signInEvents.result, "success"),
        isNotNull(signInEvents.clientId),
        clientId === undefined ? undefined : eq(signInEvents.clientId, clientId),
      ),
    )
    .groupBy(apps.id, apps.clientId, apps.name)
    .orderBy(desc(lastSignInAt), apps.name);
}

function toSignedInApp(row: {
  appId: string;
  clientId: string;
  name: string;
  lastSignInAt: Date | null;
}): SignedInApp {
  // max() over at least one row (the inner join and group by guarantee one) is never null.
  return {
    appId: row.appId,
    clientId: row.clientId,
    name: row.name,
    lastSignInAt: row.lastSignInAt!,
  };
}

/** The apps the person signed in to through Factor, most recently used first. */
export async function listSignedInApps(db: Executor, userId: string): Promise<SignedInApp[]> {
  return (await signedInAppsQuery(db, userId)).map(toSignedInApp);
}

/**
 * "Remove access" to one app: every provider record Factor holds for the person at that app
 * (grant, codes, access and refresh tokens) and their consent to it are deleted, the app is told to end its session, and
 * the audit record is written in the same transaction. Refused as "not_found" when the person
 * never signed in to that client ID (R-A9.4): nothing changes then.
 */
export async function removeAppAccess(
  db: Db,
  userId: string,
  clientId: string,
  context: RequestContext,
): Promise<Result<{ app: SignedInApp; sessionsEnded: number }, "not_found">> {
  return db.transaction(async (tx) => {
    const [row] = await signedInAppsQuery(tx, userId, clientId).limit(1);
    if (!row) return { ok: false, reason: "not_found" };
    const app = toSignedInApp(row);
    const sessionsEnded = await endAppSessions(tx, userId, app.clientId);
    await forgetConsent(tx, userId, app.appId);
    await writeAudit(tx, {
      action: "apps.access.removed",
      outcome: "success",
      actorId: userId,
      subjectId: userId,
      ...context,
      details: { clientId: app.clientId, app: app.name, sessionsEnded },
    });
    return { ok: true, app, sessionsEnded };
  });
}
