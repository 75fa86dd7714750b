// The companion app's service worker, served from a route so it is same-origin under the CSP's
// worker-src 'self'. It keeps the app's page and Next's hashed assets for offline codes, and
// turns a Web Push wake-up into a notification; it never caches an API answer.
const WORKER = `
const CACHE = "factor-authenticator-v1";
const HOME = "/authenticator";

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.add(HOME)).catch(() => undefined));
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/_next/static/")) {
    event.respondWith(
      caches.match(request).then(
        (hit) =>
          hit ||
          fetch(request).then((response) => {
            if (response.ok) {
              const copy = response.clone();
              caches.open(CACHE).then((cache) => cache.put(request, copy));
            }
            return response;
          }),
      ),
    );
    return;
  }
  if (request.mode === "navigate" && url.pathname === HOME) {
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok) {
            const copy = response.clone();
            caches.open(CACHE).then((cache) => cache.put(HOME, copy));
          }
          return response;
        })
        .catch(() => caches.match(HOME).then((hit) => hit || Response.error())),
    );
  }
});

self.addEventListener("push", (event) => {
  event.waitUntil(
    self.registration.showNotification("Sign-in request", {
      body: "Open the Authenticator app to approve or deny it.",
      tag: "sign-in-request",
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(self.clients.openWindow(HOME));
});
`;

export function GET(): Response {
  return new Response(WORKER, {
    headers: {
      "Content-Type": "text/javascript; charset=utf-8",
      "Cache-Control": "no-cache",
      // The worker lives under /authenticator/ but controls /authenticator itself too.
      "Service-Worker-Allowed": "/authenticator",
    },
  });
}
