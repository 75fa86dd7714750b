"use server";

import { revalidatePath } from "next/cache";
import { fieldErrorsFrom } from "@/lib/actions/form-action";
import { AccessPassLifetimeError, issueAccessPass } from "@/lib/admin/access-pass";
import {
  agentMayActOn,
  parseAgentReason,
  recordAgentAction,
  requireAgentAction,
} from "@/lib/admin/guard";
import { isUserId } from "@/lib/admin/users";
import { getDb } from "@/lib/db/client";
import { users } from "@/lib/db/schema";
import { eq } from "drizzle-orm";
import type { AgentActionState } from "../../agent-action-state";

/**
 * "Issue Temporary Access Pass": checks, itself, an agent with a fresh second factor (R-A9.1,
 * R-A17.1), a reason (R-A16.2) and the agent's right to act on this account, judged on the locked
 * row (R-A10.4); then issues the pass, audits and tells the person in one transaction. The pass
 * is returned once, for the dialog, and stored nowhere but as its hash (R-A10.1, R-A10.5).
 */
export async function issueAccessPassAction(
  _state: AgentActionState,
  formData: FormData,
): Promise<AgentActionState> {
  // A request without this page's form still meets the guard below, never an error.
  const userId = formData instanceof FormData ? formData.get("userId") : null;
  const page = isUserId(userId) ? `/admin/users/${userId}` : "/admin/users";
  const agent = await requireAgentAction(page);
  if (!isUserId(userId)) return { status: "error", message: "That account does not exist." };
  const why = parseAgentReason(formData);
  if (!why.success) return { status: "error", fieldErrors: fieldErrorsFrom(why.error.issues) };
  const db = await getDb();
  try {
    const result = await db.transaction(async (tx) => {
      const [subject] = await tx
        .select({
          id: users.id,
          email: users.email,
          displayName: users.displayName,
          role: users.role,
          status: users.status,
        })
        .from(users)
        .where(eq(users.id, userId))
        .for("update");
      if (!subject) return { ok: false as const, message: "That account does not exist." };
      const record = {
        agent,
        subject,
        action: "issue_pass" as const,
        reason: why.data.reason,
        ticket: why.data.ticket ?? null,
      };
      const refusal =
        agentMayActOn(agent, subject, "issue_pass") ??
        (subject.status !== "active" ? "The account is disabled: enable it first." : null);
      if (refusal) {
        await recordAgentAction(tx, {
          ...record,
          outcome: "denied",
          details: { refused: refusal },
        });
        return { ok: false as const, message: refusal };
      }
      const issued = await issueAccessPass(tx, { userId: subject.id, issuedBy: agent.id });
      const until = `${issued.expiresAt.toISOString().slice(0, 16).replace("T", " ")} UTC`;
      await recordAgentAction(tx, {
        ...record,
        outcome: "success",
        // The pass itself is never audited (R-A16.3): its id and end are.
        details: { passId: issued.id, expiresAt: issued.expiresAt.toISOString() },
        notice: "access_pass.issued",
        noticeDetail: `It works once, until ${until}. If you did not ask the helpdesk for it, tell them at once.`,
      });
      return { ok: true as const, pass: issued.pass, until };
    });
    if (!result.ok) return { status: "error", message: result.message };
    revalidatePath(page);
    return {
      status: "success",
      message: `Temporary Access Pass issued. It works once, until ${result.until}. Read it to the person now: it is not shown again.`,
      secret: result.pass,
    };
  } catch (error) {
    if (error instanceof AccessPassLifetimeError)
      return { status: "error", message: error.message };
    throw error;
  }
}
