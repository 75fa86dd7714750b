import type { ActionState } from "@/lib/actions/form-action";

/** What a console action answers: the usual form state, and a secret to show once (a password). */
export type AgentActionState = ActionState & { secret?: string };

export const agentIdle: AgentActionState = { status: "idle" };
