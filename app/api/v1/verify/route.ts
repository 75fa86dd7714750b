import { getDb } from "@/lib/db/client";
import { getEnv } from "@/lib/env";
import { getRequestContext } from "@/lib/security/request-context";
import { answerVerifyRequest } from "@/lib/services/verify-api";

// The services API (docs/services-api.md): a script or a PAM module asks whether a person may in,
// with its own key; no portal session is involved. A push or a call holds the request for up to
// RADIUS_PUSH_TIMEOUT_SECONDS, as it holds a VPN's.

export const dynamic = "force-dynamic";

export async function POST(request: Request): Promise<Response> {
  return answerVerifyRequest(await getDb(), request, await getRequestContext(), {
    waitSeconds: getEnv().RADIUS_PUSH_TIMEOUT_SECONDS,
  });
}
