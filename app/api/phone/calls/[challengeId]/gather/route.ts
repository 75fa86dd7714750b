import { getDb } from "@/lib/db/client";
import { answerCall } from "@/lib/mfa/phone-calls";
import { gatewayCallbackSettings } from "@/lib/notify/providers";
import { readKeypadCallback } from "@/lib/notify/providers/http-gateway";

const MAX_BODY_BYTES = 64 * 1024;

/**
 * The gateway posts here the key pressed during a sign-in call. No session and no origin check:
 * the gateway's signature over the URL and parameters, keyed with our auth token, is the proof.
 * A bad signature is refused (403) and changes nothing. Not found unless calls use the gateway.
 */
export async function POST(
  request: Request,
  { params }: { params: Promise<{ challengeId: string }> },
): Promise<Response> {
  const settings = gatewayCallbackSettings();
  if (!settings) return new Response("Not found", { status: 404 });
  if (Number(request.headers.get("content-length") ?? 0) > MAX_BODY_BYTES) {
    return new Response(null, { status: 413 });
  }
  const body = await request.text();
  if (Buffer.byteLength(body) > MAX_BODY_BYTES) return new Response(null, { status: 413 });
  const callback = readKeypadCallback(settings, request, body);
  if (!callback) return new Response("Forbidden", { status: 403 });
  const { challengeId } = await params;
  return callback.respond(await answerCall(await getDb(), challengeId, callback.pressed));
}
