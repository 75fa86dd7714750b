import type { Agent } from "@/lib/admin/guard";
import type { AdminUserDetail } from "@/lib/admin/users";

export type AgentExtraActionsProps = { user: AdminUserDetail; agent: Agent };

/**
 * The user page's place for "Issue Temporary Access Pass" and "Assign hardware token". Rendered
 * inside the page's list of actions (each item a `<li>`); nothing until those actions exist.
 */
export function AgentExtraActions(_props: AgentExtraActionsProps): React.ReactNode {
  return null;
}
