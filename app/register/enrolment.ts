import "server-only";
import { readBrowserState } from "@/lib/auth/browser-cookies";
import type { BrowserState } from "@/lib/auth/sign-in";
import type { RequestContext } from "@/lib/types/request";
import { getRequestContext } from "@/lib/security/request-context";

// What the wizard's confirm actions share around confirmEnrolment (lib/auth/enrolment.ts).

/** While wrong codes are paused; the same whatever the kind (R-A11.5). */
export const THROTTLED_MESSAGE = "Too many wrong codes. Wait a few minutes, then try again.";

/** This request's part in an enrolment: where it came from, and what this browser remembers. */
export async function enrolmentRequest(): Promise<{
  context: RequestContext;
  browser: BrowserState;
}> {
  return { context: await getRequestContext(), browser: await readBrowserState() };
}
