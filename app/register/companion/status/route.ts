import { getRegistrant } from "@/lib/auth/registrant";
import { getDb } from "@/lib/db/client";
import { getPairingState } from "@/lib/mfa/companion-pairing";

/** Whether the phone has paired yet, for the browser showing the QR code. Only that person asks. */
export async function GET(): Promise<Response> {
  const registrant = await getRegistrant();
  const state = registrant ? await getPairingState(await getDb(), registrant.user.id) : "expired";
  return Response.json({ state }, { headers: { "Cache-Control": "no-store" } });
}
