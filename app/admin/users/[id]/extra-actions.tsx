import { getActiveAccessPass } from "@/lib/admin/access-pass";
import { agentMayActOn, type Agent } from "@/lib/admin/guard";
import { listAvailableTokens } from "@/lib/admin/hardware-tokens";
import type { AdminUserDetail } from "@/lib/admin/users";
import { accessPassLifetimes } from "@/lib/settings/policy";
import { getDb } from "@/lib/db/client";
import { AgentActionDialog } from "./agent-action-dialog";
import { PassDialog } from "./pass-dialog";
import { assignTokenAction } from "./actions";
import { TokenSelect } from "./token-select";

export type AgentExtraActionsProps = {
  user: AdminUserDetail;
  agent: Agent;
  /** What the pass dialog says when the organisation requires a verified caller first. */
  callerCheck?: React.ReactNode;
};

/**
 * "Issue Temporary Access Pass" and "Assign hardware token", inside the page's list of actions
 * (each item a `<li>`). Shown only when the agent may do them; the actions check again.
 */
export async function AgentExtraActions({ user, agent, callerCheck }: AgentExtraActionsProps) {
  const db = await getDb();
  const [activePass, tokens] = await Promise.all([
    getActiveAccessPass(db, user.id),
    listAvailableTokens(db),
  ]);
  const mayIssue = user.status === "active" && agentMayActOn(agent, user, "issue_pass").ok;
  const mayAssign = agentMayActOn(agent, user, "assign_token").ok;
  return (
    <>
      {mayIssue && (
        <li>
          <PassDialog
            userId={user.id}
            lifetimeMinutes={accessPassLifetimes().defaultMinutes}
            activeUntil={
              activePass
                ? `${activePass.expiresAt.toISOString().slice(0, 16).replace("T", " ")} UTC`
                : null
            }
            callerCheck={callerCheck}
          />
        </li>
      )}
      {mayAssign && (
        <li>
          {tokens.length > 0 ? (
            <AgentActionDialog
              label="Assign hardware token"
              title="Assign hardware token"
              description="The person activates the token in Security info by entering the code it shows; then it signs in like an authenticator app."
              action={assignTokenAction}
              userId={user.id}
            >
              <TokenSelect tokens={tokens} />
            </AgentActionDialog>
          ) : (
            <p className="py-2 text-slate-700">No hardware token is free to assign.</p>
          )}
        </li>
      )}
    </>
  );
}
