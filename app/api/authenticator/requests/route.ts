import { getDb } from "@/lib/db/client";
import { authenticateDeviceCall, setDeviceSubscription } from "@/lib/mfa/companion-device";
import { listPendingPushes } from "@/lib/mfa/companion-push";
import { DEVICE_SIGNATURE_HEADER } from "@/lib/mfa/companion-protocol";
import type { EnableRefusal, PinOutcome } from "@/lib/mfa/companion-protocol";
import { changePhoneSignInPin, disablePhoneSignIn, isPinProof } from "@/lib/mfa/phone-sign-in";
import { enablePhoneSignIn } from "@/lib/auth/enable-phone-sign-in";
import { acceptableSubscription, vapidPublicKey } from "@/lib/mfa/web-push";
import { getRequestContext } from "@/lib/security/request-context";
import { json, readSmallBody } from "../json";

/**
 * A paired device's signed calls (no session: its key signs the body, with a timestamp that only
 * grows): the requests waiting for it, where Web Push reaches it, turning phone sign-in on (with
 * the person's password and the proof of the app PIN chosen) or off, and changing the app PIN (the current one checked
 * here and counted). An unknown or removed device, a bad signature and a replay all get the
 * same 401. Passwords and PIN proofs are never logged or echoed.
 */
export async function POST(request: Request): Promise<Response> {
  const body = await readSmallBody(request);
  const signature = request.headers.get(DEVICE_SIGNATURE_HEADER) ?? "";
  const db = await getDb();
  const authenticated = body === null ? null : await authenticateDeviceCall(db, body, signature);
  if (!authenticated) return json({ error: "unpaired" }, 401);
  const { device, call } = authenticated;
  let phoneSignIn = device.phoneSignInEnabled;
  let pin: PinOutcome | undefined;
  let refused: EnableRefusal | undefined;
  if (call.action === "phone_sign_in_on") {
    if (!device.active) return json({ error: "not_confirmed" }, 400);
    if (!isPinProof(call.pinProof)) return json({ error: "pin_required" }, 400);
    const result = await enablePhoneSignIn(
      db,
      device,
      { password: call.password, pinProof: call.pinProof },
      await getRequestContext(),
    );
    if (result === "on") phoneSignIn = true;
    // A paused password answers as a wrong one, as at /signin (R-A11.5): the pause is told to
    // the person by email, not to whoever holds the phone.
    else refused = result === "password_paused" ? "wrong_password" : result;
  }
  if (call.action === "phone_sign_in_off") {
    await disablePhoneSignIn(db, device, await getRequestContext());
    phoneSignIn = false;
  }
  if (call.action === "pin_change") {
    if (!isPinProof(call.newPinProof)) return json({ error: "pin_required" }, 400);
    pin = await changePhoneSignInPin(
      db,
      device,
      call.pinProof,
      call.newPinProof,
      await getRequestContext(),
    );
    if (pin.result === "locked") phoneSignIn = false;
  }
  if (call.action === "subscribe" || call.action === "unsubscribe") {
    const subscription =
      call.action === "subscribe" ? acceptableSubscription(call.subscription) : null;
    if (call.action === "subscribe" && !subscription) return json({ error: "unsupported" }, 400);
    await setDeviceSubscription(db, device, subscription);
  }
  return json({
    active: device.active,
    phoneSignIn,
    ...(pin ? { pin } : {}),
    ...(refused ? { refused } : {}),
    requests: await listPendingPushes(db, { ...device, phoneSignInEnabled: phoneSignIn }),
    vapidPublicKey: vapidPublicKey(),
  });
}
