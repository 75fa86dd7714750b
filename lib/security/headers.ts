import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

/** A fresh CSP nonce for one response. */
export function newNonce(): string {
  return randomBytes(16).toString("base64");
}

/** The Content-Security-Policy for a response (R-A17.5). Development needs eval for fast refresh. */
export function contentSecurityPolicy(
  nonce: string,
  options: { dev: boolean; https: boolean },
): string {
  const directives = [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${options.dev ? " 'unsafe-eval'" : ""}`,
    `style-src 'self'${options.dev ? " 'unsafe-inline'" : ` 'nonce-${nonce}'`}`,
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self'${options.dev ? " ws: wss:" : ""}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "manifest-src 'self'",
    "worker-src 'self'",
  ];
  if (options.https) directives.push("upgrade-insecure-requests");
  return directives.join("; ");
}

/** Headers every response carries, pages, files and errors alike (R-A17.5). */
export const STATIC_SECURITY_HEADERS: Record<string, string> = {
  "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "strict-origin-when-cross-origin",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
  "X-Frame-Options": "DENY",
  "Permissions-Policy":
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=(), publickey-credentials-get=(self), publickey-credentials-create=(self)",
};

/**
 * Sets the security headers and hands Next the nonce through the request's CSP header, which is
 * where Next looks for it when rendering its own scripts.
 */
export function applySecurityHeaders(
  req: IncomingMessage,
  res: ServerResponse,
  options: { dev: boolean; https: boolean },
): void {
  const policy = contentSecurityPolicy(newNonce(), options);
  req.headers["content-security-policy"] = policy;
  res.setHeader("Content-Security-Policy", policy);
  for (const [name, value] of Object.entries(STATIC_SECURITY_HEADERS)) res.setHeader(name, value);
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * CSRF (R-A17.2): a state-changing request must show it comes from our own pages — an Origin
 * whose host is the Host it was sent to, or `Sec-Fetch-Site: same-origin`. Next's own server-action
 * check lets requests without Origin through; this one does not.
 */
export function isCrossSiteWrite(req: IncomingMessage, fromTrustedProxy: boolean): boolean {
  if (SAFE_METHODS.has(req.method ?? "GET")) return false;
  const forwardedHost = fromTrustedProxy ? req.headers["x-forwarded-host"] : undefined;
  const host =
    (typeof forwardedHost === "string" ? forwardedHost.split(",")[0]!.trim() : undefined) ??
    req.headers.host;
  const origin = req.headers.origin;
  if (origin && origin !== "null" && host) {
    try {
      return new URL(origin).host !== host;
    } catch {
      return true;
    }
  }
  return req.headers["sec-fetch-site"] !== "same-origin";
}
