// Requests a page makes by itself — a list refreshing, a wait for an approval — are not the
// person at the computer, so they never count as activity: the session's idle limit keeps
// running (R-A12.5). Safe to import from client components.

/**
 * Marks a request as the page's own. A client may set it: it can only keep its own request from
 * extending the session. server.ts also sets it on Next's prefetches.
 */
export const BACKGROUND_REQUEST_HEADER = "x-factor-background";

/** Next's prefetch header; Next hides it from pages, so server.ts reads it from the raw request. */
export const NEXT_PREFETCH_HEADER = "next-router-prefetch";

/** `fetch` for a request the page makes by itself, never for one the person asked for. */
export function fetchInBackground(url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set(BACKGROUND_REQUEST_HEADER, "1");
  return fetch(url, { cache: "no-store", ...init, headers });
}
