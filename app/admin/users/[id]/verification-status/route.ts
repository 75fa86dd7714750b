import { NextResponse, type NextRequest } from "next/server";
import { requireAgentPage } from "@/lib/admin/guard";
import { getPushVerificationStatus } from "@/lib/admin/caller-verification";
import { isUserId } from "@/lib/admin/users";
import { getDb } from "@/lib/db/client";

/**
 * How the agent's own request to a person's phone is going: what "Verify identity" polls. Agents
 * only (R-A17.1); another agent's request, or another person's, is "gone". Reading changes
 * nothing, so a stale second factor is not asked again here: settling the answer is.
 */
export async function GET(request: NextRequest, { params }: { params: Promise<{ id: string }> }) {
  const agent = await requireAgentPage();
  const { id } = await params;
  const verification = request.nextUrl.searchParams.get("verification") ?? "";
  const status = isUserId(id)
    ? await getPushVerificationStatus(await getDb(), agent.id, id, verification)
    : "gone";
  return NextResponse.json({ status }, { headers: { "Cache-Control": "no-store" } });
}
