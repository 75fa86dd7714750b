import { and, eq, gt, sql } from "drizzle-orm";
import type { KoaContextWithOIDC } from "oidc-provider";
import { recordSignInEvent } from "@/lib/activity/sign-in-events";
import type { Executor } from "@/lib/db/client";
import { signInEvents } from "@/lib/db/schema";
import { CLIENT_IP_HEADER } from "@/lib/security/client-ip";
import { findApp } from "@/lib/apps/registry";
import { factorSessionFromCookies } from "./factor-session";

// Every app sign-in shows in My sign-ins with the app's name. A sign-in made for the app is the
// portal's own event, relabelled; a session already open answers as single sign-on, its own event.

type FactorResult = { sessionId?: string; fresh?: boolean } | undefined;

/** Records the sign-in an authorization response just carried to the app. */
export async function recordAppSignIn(db: Executor, ctx: KoaContextWithOIDC): Promise<void> {
  const accountId = ctx.oidc.session?.accountId;
  const clientId = ctx.oidc.client?.clientId;
  if (!accountId || !clientId) return;
  const app = await findApp(db, clientId);
  if (!app) return;
  const factor = (ctx.oidc.result as { factor?: FactorResult } | undefined)?.factor;
  if (factor?.fresh && factor.sessionId) {
    const relabelled = await db
      .update(signInEvents)
      .set({ app: app.name.slice(0, 100), clientId })
      .where(
        and(
          eq(signInEvents.sessionId, factor.sessionId),
          gt(signInEvents.at, sql`now() - interval '1 day'`),
        ),
      )
      .returning({ id: signInEvents.id });
    if (relabelled.length > 0) return;
  }
  const session = await factorSessionFromCookies(db, ctx.get("cookie"));
  if (!session || session.user.id !== accountId) return;
  await recordSignInEvent(
    db,
    {
      userId: accountId,
      result: "success",
      reason: "single_sign_on",
      methods: session.methods,
      sessionId: session.id,
      app: { name: app.name, clientId },
    },
    { ip: ctx.get(CLIENT_IP_HEADER) || null, userAgent: ctx.get("user-agent") || null },
  );
}
