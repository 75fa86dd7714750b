import { NextResponse, type NextRequest } from "next/server";
import { getCurrentTransaction } from "@/lib/auth/sign-in-flow";
import { getDb } from "@/lib/db/client";
import { getPushStatus } from "@/lib/mfa/companion-push";

/** How this sign-in's push request is going. Only the browser of that sign-in may ask (R-A1.6). */
export async function GET(request: NextRequest) {
  const current = await getCurrentTransaction("second_factor");
  const requestId = request.nextUrl.searchParams.get("request") ?? "";
  const status = current
    ? await getPushStatus(
        await getDb(),
        {
          userId: current.transaction.userId,
          transactionId: current.transaction.id,
          purpose: "second_factor",
        },
        requestId,
      )
    : "gone";
  return NextResponse.json({ status }, { headers: { "Cache-Control": "no-store" } });
}
