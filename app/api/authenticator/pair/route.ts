import { getDb } from "@/lib/db/client";
import { completePairing } from "@/lib/mfa/companion-pairing";
import { getRequestContext } from "@/lib/security/request-context";
import { json, readJsonObject } from "../json";

/**
 * The phone's side of pairing: no session here (the companion app never has the portal's); the
 * one-time token from the link and a signature by the key being registered are the proof.
 */
export async function POST(request: Request): Promise<Response> {
  const body = await readJsonObject(request);
  const text = (key: string) => (typeof body?.[key] === "string" ? (body[key] as string) : "");
  const result = await completePairing(
    await getDb(),
    {
      token: text("token"),
      publicKey: text("publicKey"),
      name: text("name"),
      signature: text("signature"),
    },
    await getRequestContext(),
  );
  if (!result.ok)
    return json({ error: "This pairing link can't be used. Show a new QR code." }, 400);
  return json(result);
}
