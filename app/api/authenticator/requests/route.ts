import { getDb } from "@/lib/db/client";
import {
  authenticateDeviceCall,
  listPendingPushes,
  setDeviceSubscription,
} from "@/lib/mfa/companion";
import { DEVICE_SIGNATURE_HEADER } from "@/lib/mfa/companion-protocol";
import { acceptableSubscription, vapidPublicKey } from "@/lib/mfa/web-push";
import { json, readSmallBody } from "../json";

/**
 * A paired device's signed calls (no session: its key signs the body, with a timestamp that only
 * grows): the requests waiting for it, and where Web Push reaches it. An unknown or removed
 * device, a bad signature and a replay all get the same 401.
 */
export async function POST(request: Request): Promise<Response> {
  const body = await readSmallBody(request);
  const signature = request.headers.get(DEVICE_SIGNATURE_HEADER) ?? "";
  const db = await getDb();
  const authenticated = body === null ? null : await authenticateDeviceCall(db, body, signature);
  if (!authenticated) return json({ error: "unpaired" }, 401);
  const { device, call } = authenticated;
  if (call.action === "subscribe" || call.action === "unsubscribe") {
    const subscription =
      call.action === "subscribe" ? acceptableSubscription(call.subscription) : null;
    if (call.action === "subscribe" && !subscription) return json({ error: "unsupported" }, 400);
    await setDeviceSubscription(db, device, subscription);
  }
  return json({
    active: device.active,
    requests: await listPendingPushes(db, device),
    vapidPublicKey: vapidPublicKey(),
  });
}
