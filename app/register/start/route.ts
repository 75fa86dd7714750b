import { NextResponse, type NextRequest } from "next/server";
import { METHOD_KIND_INFO, METHOD_KINDS, type MethodKind } from "@/lib/mfa/registry";

/** The method chooser's "Confirm": goes to the first step of the chosen kind. Changes nothing. */
export function GET(request: NextRequest) {
  const kind = request.nextUrl.searchParams.get("method");
  const path = METHOD_KINDS.includes(kind as MethodKind)
    ? METHOD_KIND_INFO[kind as MethodKind].registerPath
    : "/register";
  return new NextResponse(null, { status: 303, headers: { Location: path } });
}
