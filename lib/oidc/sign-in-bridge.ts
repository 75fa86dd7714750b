import type { IncomingMessage, ServerResponse } from "node:http";
import type Provider from "oidc-provider";
import type { InteractionResults } from "oidc-provider";
import type { Executor } from "@/lib/db/client";
import { getMethodSummary } from "@/lib/mfa/methods";
import { sessionProvenWithPasskey, type CurrentSession } from "@/lib/auth/sessions";
import { clock } from "@/lib/clock";
import { contextClass, methodReferences } from "./account";
import { findApp, mayUseApp, type App } from "@/lib/apps/registry";
import { needsConsent } from "@/lib/apps/consent";
import { factorSessionFromCookies } from "./factor-session";
import { providerPage } from "./pages";
import { INTERACTION_PATH } from "@/lib/apps/provider-paths";

// Where an app's sign-in request meets Factor's own sign-in. The provider sends every request
// that needs a person here; this decides with the portal session in hand and either sends the
// person to the sign-in (and back here after), tells them why they cannot use the app, or
// answers the app. It holds no rule of its own: the session, the app's rules and the sign-in
// are the portal's.

/** Why someone signed in to Factor still cannot use an app. */
export type RefusalReason = "role" | "second_factor" | "passkey";

/** Whether the session's proof is what the app asks for. */
export function sessionMeetsApp(
  session: Pick<CurrentSession, "aal" | "methods">,
  app: Pick<App, "proof">,
): boolean {
  if (session.aal < 2) return false;
  return app.proof !== "phishing_resistant" || sessionProvenWithPasskey(session.methods);
}

async function hasUsablePasskey(db: Executor, userId: string): Promise<boolean> {
  const { choices } = await getMethodSummary(db, userId);
  return choices.some((choice) => choice.option === "passkey");
}

/**
 * Whether the sign-in is older than the app's `max_age` allows. "At least": `max_age=0` means a
 * sign-in for this very request, whatever second the last one happened in.
 */
export function olderThan(
  session: Pick<CurrentSession, "authenticatedAt">,
  maxAgeSeconds: number | undefined,
): boolean {
  return (
    maxAgeSeconds !== undefined &&
    clock.ms() - session.authenticatedAt.getTime() >= maxAgeSeconds * 1000
  );
}

/** What the bridge keeps with an unfinished request between the person's visits. */
type BridgeSubmission = {
  /** It sent the person to sign in, from this session (null: none). */
  signInSent?: { fromSessionId: string | null };
  /** It showed the consent page. */
  consentAsked?: boolean;
};

/** What happens next for an app's request, decided from the Factor session. */
export type BridgeStep =
  | { kind: "sign_in"; fresh: boolean }
  | { kind: "refuse"; reason: RefusalReason }
  | { kind: "answer"; fresh: boolean };

/**
 * `signInSent` says the bridge already sent the person to sign in for this request, and which
 * session they had then (null: none). A different session now is this request's own sign-in —
 * told apart by identity, not by time, since a sign-in can finish within the second the request
 * came in, and the database's clock need not be this host's. `prompt=login` and an exceeded
 * `max_age` ask for such a fresh sign-in.
 */
export function nextBridgeStep(
  session: CurrentSession | null,
  app: App,
  request: {
    prompt: string[];
    maxAgeSeconds?: number;
    signInSent?: { fromSessionId: string | null };
  },
): BridgeStep {
  if (!session) return { kind: "sign_in", fresh: false };
  const fresh = request.signInSent !== undefined && session.id !== request.signInSent.fromSessionId;
  const tooOld = olderThan(session, request.maxAgeSeconds);
  if (!fresh && (request.prompt.includes("login") || tooOld))
    return { kind: "sign_in", fresh: true };
  if (!mayUseApp(app, session.user.role)) return { kind: "refuse", reason: "role" };
  if (session.aal < 2) return { kind: "refuse", reason: "second_factor" };
  if (!sessionMeetsApp(session, app)) return { kind: "refuse", reason: "passkey" };
  return { kind: "answer", fresh };
}

/** The login the app receives: who, when, and how (RFC 8176 `amr`). */
export function loginResult(session: CurrentSession, fresh: boolean): InteractionResults {
  return {
    login: {
      accountId: session.user.id,
      acr: contextClass(session.methods),
      amr: methodReferences(session),
      ts: Math.floor(session.authenticatedAt.getTime() / 1000),
      remember: true,
    },
    // Read back when the authorization succeeds, to record the sign-in (lib/oidc/records.ts).
    factor: { sessionId: session.id, fresh },
  };
}

function redirect(res: ServerResponse, location: string): void {
  res.statusCode = 303;
  res.setHeader("Location", location);
  res.setHeader("Cache-Control", "no-store");
  res.end();
}

function expired(res: ServerResponse): void {
  res.statusCode = 400;
  res.setHeader("Content-Type", "text/html; charset=utf-8");
  res.setHeader("Cache-Control", "no-store");
  res.end(
    providerPage(
      "This sign-in has expired",
      "<p>Go back to the app and sign in again. Sign-ins through Factor must finish within 10 minutes, in the browser they started in.</p>",
    ),
  );
}

/** GET /oidc/interaction/<uid>[/abort]. */
export async function handleInteraction(
  provider: Provider,
  db: Executor,
  req: IncomingMessage,
  res: ServerResponse,
  uid: string,
  abort: boolean,
): Promise<void> {
  let details: Awaited<ReturnType<Provider["interactionDetails"]>>;
  try {
    details = await provider.interactionDetails(req, res);
  } catch {
    return expired(res);
  }
  if (details.uid !== uid) return expired(res);
  if (abort) {
    const declined = new URLSearchParams((req.url ?? "").split("?")[1]).has("declined");
    await provider.interactionFinished(
      req,
      res,
      {
        error: "access_denied",
        error_description: declined
          ? "The person did not allow the app"
          : "The person may not use this app",
      },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  const app = await findApp(db, String(details.params.client_id ?? ""));
  if (!app || app.disabledAt) return expired(res);

  const here = `${INTERACTION_PATH}/${uid}`;
  const session = await factorSessionFromCookies(db, req.headers.cookie);
  const maxAge = Number(details.params.max_age);
  const prompt = String(details.params.prompt ?? "").split(" ");
  const submitted = details.result as BridgeSubmission | undefined;
  const step = nextBridgeStep(session, app, {
    prompt,
    maxAgeSeconds: Number.isFinite(maxAge) && maxAge >= 0 ? maxAge : undefined,
    signInSent: submitted?.signInSent,
  });
  switch (step.kind) {
    case "sign_in":
      // Kept with the request, unfinished, so that the session the person comes back with can
      // be told from the one they had.
      await provider.interactionResult(
        req,
        res,
        { signInSent: { fromSessionId: session?.id ?? null } } satisfies BridgeSubmission,
        { mergeWithLastSubmission: false },
      );
      return redirect(
        res,
        `/signin?${step.fresh ? "reauth=1&" : ""}callbackUrl=${encodeURIComponent(here)}`,
      );
    case "refuse":
      // Only the missing proof is asked of someone who has a passkey.
      if (step.reason === "passkey" && (await hasUsablePasskey(db, session!.user.id))) {
        return redirect(res, `/signin/app-passkey?uid=${encodeURIComponent(uid)}`);
      }
      return redirect(
        res,
        `/signin/app-refused?uid=${encodeURIComponent(uid)}&reason=${step.reason}`,
      );
    case "answer": {
      const scopes = String(details.params.scope ?? "openid").split(" ");
      const asksAgain = prompt.includes("consent") && !submitted?.consentAsked;
      if (
        app.askConsent &&
        (asksAgain || (await needsConsent(db, app, session!.user.id, scopes)))
      ) {
        await provider.interactionResult(
          req,
          res,
          { ...submitted, consentAsked: true },
          { mergeWithLastSubmission: false },
        );
        return redirect(res, `/signin/app-consent?uid=${encodeURIComponent(uid)}`);
      }
      // `consent` answers an app's prompt=consent: allowed now, or not asked by this app.
      await provider.interactionFinished(
        req,
        res,
        { ...loginResult(session!, step.fresh), consent: {} },
        { mergeWithLastSubmission: false },
      );
    }
  }
}
