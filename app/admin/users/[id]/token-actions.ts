"use server";

import { eq } from "drizzle-orm";
import { revalidatePath } from "next/cache";
import { fieldErrorsFrom } from "@/lib/actions/form-action";
import {
  agentMayActOn,
  parseAgentReason,
  recordAgentAction,
  requireAgentAction,
} from "@/lib/admin/guard";
import { assignToken } from "@/lib/admin/hardware-tokens";
import { isUserId } from "@/lib/admin/users";
import { getDb } from "@/lib/db/client";
import { users } from "@/lib/db/schema";
import type { AgentActionState } from "../../agent-action-state";

/**
 * "Assign hardware token": an agent with a fresh second factor and a reason gives a free token to
 * this account (R-A4.6: one holder per token, a conditional UPDATE); audited and told to the
 * person, who activates it from Security info with the code it shows.
 */
export async function assignTokenAction(
  _state: AgentActionState,
  formData: FormData,
): Promise<AgentActionState> {
  // A request without this page's form still meets the guard below, never an error.
  const userId = formData instanceof FormData ? formData.get("userId") : null;
  const page = isUserId(userId) ? `/admin/users/${userId}` : "/admin/users";
  const agent = await requireAgentAction(page);
  if (!isUserId(userId)) return { status: "error", message: "That account does not exist." };
  const tokenId = formData.getAll("tokenId");
  if (tokenId.length !== 1 || typeof tokenId[0] !== "string" || !tokenId[0]) {
    return { status: "error", fieldErrors: { tokenId: ["Choose a token."] } };
  }
  const why = parseAgentReason(formData);
  if (!why.success) return { status: "error", fieldErrors: fieldErrorsFrom(why.error.issues) };
  const db = await getDb();
  const result = await db.transaction(async (tx) => {
    const [subject] = await tx
      .select({
        id: users.id,
        email: users.email,
        displayName: users.displayName,
        role: users.role,
      })
      .from(users)
      .where(eq(users.id, userId))
      .for("update");
    if (!subject) return { ok: false as const, message: "That account does not exist." };
    const record = {
      agent,
      subject,
      action: "assign_token" as const,
      reason: why.data.reason,
      ticket: why.data.ticket ?? null,
    };
    const refusal = agentMayActOn(agent, subject, "assign_token");
    if (refusal) {
      await recordAgentAction(tx, { ...record, outcome: "denied", details: { refused: refusal } });
      return { ok: false as const, message: refusal };
    }
    const token = await assignToken(tx, tokenId[0] as string, subject.id);
    if (!token) return { ok: false as const, message: "That token is no longer available." };
    await recordAgentAction(tx, {
      ...record,
      outcome: "success",
      details: { tokenId: token.id, serialNumber: token.serialNumber },
      notice: "hardware_token.assigned",
      noticeDetail: `serial number ${token.serialNumber}${token.model ? ` (${token.model})` : ""}.`,
    });
    return { ok: true as const, serialNumber: token.serialNumber };
  });
  if (!result.ok) return { status: "error", message: result.message };
  revalidatePath(page);
  revalidatePath("/admin/tokens");
  return {
    status: "success",
    message: `Token ${result.serialNumber} assigned. The person activates it in Security info by entering the code it shows.`,
  };
}
