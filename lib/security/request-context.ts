import "server-only";
import { headers } from "next/headers";
import { BACKGROUND_REQUEST_HEADER } from "./background-request";
import { CLIENT_IP_HEADER, REQUEST_PATH_HEADER } from "./client-ip";
import { safeRedirectPath } from "./redirect";
import type { RequestContext } from "@/lib/types/request";

/** The client address derived by server.ts from the socket (never a client header) and the UA. */
export async function getRequestContext(): Promise<RequestContext> {
  const h = await headers();
  return {
    ip: h.get(CLIENT_IP_HEADER),
    userAgent: h.get("user-agent")?.slice(0, 512) ?? null,
  };
}

/** The local path this page request was made for, for returning after sign-in. */
export async function getRequestPath(): Promise<string> {
  return safeRedirectPath((await headers()).get(REQUEST_PATH_HEADER));
}

/** Whether this request is one a page made by itself (a poll, a prefetch), not the person's. */
export async function isBackgroundRequest(): Promise<boolean> {
  return (await headers()).get(BACKGROUND_REQUEST_HEADER) === "1";
}
