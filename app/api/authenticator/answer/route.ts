import { getDb } from "@/lib/db/client";
import { answerPush } from "@/lib/mfa/companion-push";
import { getRequestContext } from "@/lib/security/request-context";
import { json, readJsonObject } from "../json";

/**
 * A device's answer to a push request: its signature over the request's challenge, the typed
 * number and, approving a phone sign-in, the app PIN's proof is the proof (R-A6.1); the result
 * says only what the person needs to know (after a wrong PIN, how many tries are left).
 */
export async function POST(request: Request): Promise<Response> {
  const body = await readJsonObject(request);
  const text = (key: string) => (typeof body?.[key] === "string" ? (body[key] as string) : "");
  const decision = text("decision");
  const { result, attemptsLeft } = await answerPush(
    await getDb(),
    {
      deviceId: text("deviceId"),
      requestId: text("requestId"),
      decision: decision === "approve" ? "approve" : "deny",
      number: text("number"),
      fraud: body?.fraud === true,
      pinProof: text("pinProof"),
      signature: text("signature"),
    },
    await getRequestContext(),
  );
  // A late or repeated answer changed nothing: never a 200 that a log or client reads as done
  // (R-A6.2).
  const status = result === "refused" ? 400 : result === "gone" || result === "expired" ? 409 : 200;
  return json({ result, attemptsLeft }, status);
}
