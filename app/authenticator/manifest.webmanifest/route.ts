import { getEnv } from "@/lib/env";

/** The companion app's web app manifest: installable, its own scope, same origin. */
export function GET(): Response {
  const manifest = {
    name: `${getEnv().ORG_NAME} Authenticator`,
    short_name: "Authenticator",
    description: "Approve sign-in requests and show verification codes.",
    id: "/authenticator",
    start_url: "/authenticator",
    scope: "/authenticator",
    display: "standalone",
    background_color: "#ffffff",
    theme_color: "#1d4ed8",
    icons: [
      { src: "/icon.svg", sizes: "any", type: "image/svg+xml", purpose: "any" },
      { src: "/icon-192.png", sizes: "192x192", type: "image/png", purpose: "any" },
      { src: "/icon-512.png", sizes: "512x512", type: "image/png", purpose: "any" },
    ],
  };
  return new Response(JSON.stringify(manifest), {
    headers: { "Content-Type": "application/manifest+json", "Cache-Control": "no-cache" },
  });
}
