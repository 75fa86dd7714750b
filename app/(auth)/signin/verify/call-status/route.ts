import { NextResponse, type NextRequest } from "next/server";
import { getCurrentTransaction } from "@/lib/auth/sign-in-flow";
import { getDb } from "@/lib/db/client";
import { getCallStatus } from "@/lib/mfa/phone-challenges";

/** How this sign-in's call is going, for the waiting page. Only the browser of that sign-in may ask. */
export async function GET(request: NextRequest) {
  const current = await getCurrentTransaction("second_factor");
  const challengeId = request.nextUrl.searchParams.get("challenge") ?? "";
  const status = current
    ? await getCallStatus(
        await getDb(),
        {
          userId: current.transaction.userId,
          purpose: current.transaction.purpose,
          transactionId: current.transaction.id,
        },
        challengeId,
      )
    : "gone";
  return NextResponse.json({ status }, { headers: { "Cache-Control": "no-store" } });
}
