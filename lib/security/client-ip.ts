import { isIP } from "node:net";
import type { IncomingMessage } from "node:http";
import proxyAddr from "proxy-addr";

/** The header server.ts sets on every request; any copy the client sent is dropped first. */
export const CLIENT_IP_HEADER = "x-factor-client-ip";

/** The path of the request as the browser asked for it, set by server.ts (overwriting any copy). */
export const REQUEST_PATH_HEADER = "x-factor-request-path";

export type TrustFunction = (address: string, hop: number) => boolean;

/** Compiles the TRUSTED_PROXIES setting (comma-separated addresses or CIDR ranges). */
export function compileTrustedProxies(setting: string): TrustFunction {
  const entries = setting
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  return proxyAddr.compile(entries);
}

/**
 * The client address (R-A14.5): the socket peer, or — only when that peer is a trusted proxy —
 * the right-most untrusted hop of X-Forwarded-For. Anything unparsable is null ("unknown"),
 * never trusted.
 */
export function deriveClientIp(req: IncomingMessage, trust: TrustFunction): string | null {
  if (!req.socket.remoteAddress) return null;
  let address: string;
  try {
    address = proxyAddr(req, trust);
  } catch {
    return null;
  }
  if (!isIP(address)) return null;
  // Present IPv4 peers on dual-stack sockets in their usual form.
  return address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}
