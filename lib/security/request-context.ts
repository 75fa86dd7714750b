import "server-only";
import { headers } from "next/headers";
import type { RequestContext } from "@/lib/auth/sign-in";
import { CLIENT_IP_HEADER } from "./client-ip";

/** The client address derived by server.ts from the socket (never a client header) and the UA. */
export async function getRequestContext(): Promise<RequestContext> {
  const h = await headers();
  return {
    ip: h.get(CLIENT_IP_HEADER),
    userAgent: h.get("user-agent")?.slice(0, 512) ?? null,
  };
}
