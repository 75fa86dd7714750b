import type { KoaContextWithOIDC } from "oidc-provider";
import { getEnv } from "@/lib/env";

// The few pages the provider itself shows: an error that must not go back to the app (a wrong
// redirect URI, an unknown or disabled app), and the sign-out question an app can ask for.
// Plain HTML with the portal's look (public/provider.css), no script.

function escape(value: unknown): string {
  return String(value ?? "")
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/** A whole page: one h1, a main landmark, the organisation's name. */
export function providerPage(title: string, body: string): string {
  const org = escape(getEnv().ORG_NAME);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)} – ${org}</title>
<link rel="stylesheet" href="/provider.css">
</head>
<body>
<header><p class="org">${org} · Factor</p></header>
<main id="main">
<h1>${escape(title)}</h1>
${body}
</main>
</body>
</html>`;
}

/** What the person reads when an app's request cannot be answered. */
const ERROR_TEXT: Record<string, string> = {
  invalid_client: "This app is not registered with Factor, or it has been turned off.",
  invalid_redirect_uri: "This app asked to send you back to an address it did not register.",
};

export async function errorPage(
  ctx: KoaContextWithOIDC,
  out: { error: string; error_description?: string },
): Promise<void> {
  const explanation =
    ERROR_TEXT[out.error] ??
    (out.error === "invalid_request" && /redirect_uri/.test(out.error_description ?? "")
      ? ERROR_TEXT.invalid_redirect_uri
      : "The app's sign-in request could not be completed.");
  ctx.type = "html";
  ctx.body = providerPage(
    "We can't sign you in to this app",
    `<p>${escape(explanation)}</p>
<p>Tell the app's owner or the helpdesk what you see here:</p>
<p><code>${escape(out.error)}${out.error_description ? `: ${escape(out.error_description)}` : ""}</code></p>
<p><a href="/">Go to your security info</a></p>`,
  );
}

export async function signOutPage(ctx: KoaContextWithOIDC, form: string): Promise<void> {
  const app = ctx.oidc.client?.clientName ?? "the app";
  ctx.type = "html";
  ctx.body = providerPage(
    "Sign out?",
    `<p>${escape(app)} asked to sign you out. This signs you out of Factor and of the apps you
signed in to with it in this browser.</p>
${form}
<div class="actions">
<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>
<button type="submit" form="op.logoutForm" class="secondary">Stay signed in</button>
</div>`,
  );
}

export async function signedOutPage(ctx: KoaContextWithOIDC): Promise<void> {
  ctx.type = "html";
  ctx.body = providerPage(
    "You signed out",
    `<p>You can close this window.</p><p><a href="/signin">Sign in again</a></p>`,
  );
}
