import type { NextRequest } from "next/server";
import { redirect } from "next/navigation";
import { requireFreshSession } from "@/lib/auth/sign-in-flow";
import { parseEventId, stepPath } from "../flow";

/**
 * Asks for a fresh second factor before "Secure your account" (R-A13.1, R-A9.1): starts the
 * step-up ("Verify your identity") that comes back to the flow, or goes straight there when the
 * last one is recent. A page cannot set the step-up cookie; a route handler can.
 */
export async function GET(request: NextRequest) {
  const eventId = parseEventId(request.nextUrl.searchParams.get("event"));
  const back = stepPath("password", eventId);
  // A link must not text or call anyone: the step-up asks the person to choose a way first.
  await requireFreshSession(back, { fromLink: true });
  redirect(back);
}
