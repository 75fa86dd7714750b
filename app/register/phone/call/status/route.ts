import { NextResponse, type NextRequest } from "next/server";
import { getRegistrant } from "@/lib/auth/registrant";
import { getDb } from "@/lib/db/client";
import { getCallStatus } from "@/lib/mfa/phone-challenges";

/** How the registration call is going, for the waiting page; only its registrant may ask. */
export async function GET(request: NextRequest) {
  const registrant = await getRegistrant();
  const challengeId = request.nextUrl.searchParams.get("challenge") ?? "";
  const status = registrant
    ? await getCallStatus(
        await getDb(),
        { userId: registrant.user.id, purpose: "enrol", transactionId: registrant.bindingId },
        challengeId,
      )
    : "gone";
  return NextResponse.json({ status }, { headers: { "Cache-Control": "no-store" } });
}
