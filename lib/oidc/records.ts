import { and, eq, gt, sql } from "drizzle-orm";
import type { KoaContextWithOIDC } from "oidc-provider";
import { assessSignInRisk } from "@/lib/activity/risk";
import { isRisky, lookupOrigin, recordSignInEvent } from "@/lib/activity/sign-in-events";
import { respondToRisk } from "@/lib/auth/sign-in";
import { clock } from "@/lib/clock";
import type { Db } from "@/lib/db/client";
import { signInEvents } from "@/lib/db/schema";
import { CLIENT_IP_HEADER } from "@/lib/security/client-ip";
import { findApp } from "@/lib/apps/registry";
import { factorSessionFromCookies } from "./factor-session";

// Every app sign-in shows in My sign-ins with the app's name. A sign-in made for the app is the
// portal's own event, relabelled; a session already open answers as single sign-on, its own event,
// with its own risk.

type FactorResult = { sessionId?: string; fresh?: boolean } | undefined;

/** Records the sign-in an authorization response just carried to the app. */
export async function recordAppSignIn(db: Db, ctx: KoaContextWithOIDC): Promise<void> {
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
  // Judged as a sign-in of its own: an open session reused from a new place is worth telling
  // its owner about, naming the app (R-A14.6).
  const context = {
    ip: ctx.get(CLIENT_IP_HEADER) || null,
    userAgent: ctx.get("user-agent") || null,
  };
  const origin = await lookupOrigin(context);
  const risk = await assessSignInRisk(db, {
    userId: accountId,
    at: clock.now(),
    intel: origin.intel,
  });
  await db.transaction(async (tx) => {
    await recordSignInEvent(
      tx,
      {
        userId: accountId,
        result: "success",
        reason: "single_sign_on",
        methods: session.methods,
        sessionId: session.id,
        app: { name: app.name, clientId },
        risk,
        origin,
      },
      context,
    );
    if (isRisky(risk.level)) await respondToRisk(tx, session.user, risk, context, origin, app.name);
  });
}
