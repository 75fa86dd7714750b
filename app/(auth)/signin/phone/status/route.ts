import { NextResponse, type NextRequest } from "next/server";
import { getPhoneSignInStatus } from "@/lib/auth/phone-sign-in";
import { getDb } from "@/lib/db/client";
import { readPhoneTicketCookie } from "../ticket-cookie";

/** How this browser's phone sign-in request is going; only the ticket's holder may ask (R-A1.6). */
export async function GET(request: NextRequest) {
  const status = await getPhoneSignInStatus(
    await getDb(),
    await readPhoneTicketCookie(),
    request.nextUrl.searchParams.get("request") ?? "",
  );
  return NextResponse.json({ status }, { headers: { "Cache-Control": "no-store" } });
}
