import "server-only";
import { cache } from "react";
import { headers } from "next/headers";
import { notFound, redirect } from "next/navigation";
import { writeAudit } from "@/lib/audit/log";
import { getCurrentSession } from "@/lib/auth/current";
import { getPasswordStatus } from "@/lib/auth/password-change";
import { passkeyRequiredForAgents } from "@/lib/settings/policy";
import { requireFreshSession } from "@/lib/auth/sign-in-flow";
import type { CurrentSession } from "@/lib/auth/sessions";
import { getDb, type Executor } from "@/lib/db/client";
import { getMethodSummary } from "@/lib/mfa/methods";
import { getRequestContext, getRequestPath } from "@/lib/security/request-context";
import { safeRedirectPath } from "@/lib/security/redirect";
import { passkeyGate, recordAgentActionWith, type Agent, type AgentRecord } from "./agent-rules";

// The helpdesk console's one gate. Every admin page, server action and route handler calls it
// itself (R-A17.1); the layout calling it too is only a convenience.

export {
  agentMayActOn,
  agentReasonSchema,
  parseAgentReason,
  AGENT_ACTIONS,
  type Agent,
  type AgentAction,
} from "./agent-rules";

type GuardOptions = { adminOnly?: boolean };

function isAgent(session: CurrentSession, options: GuardOptions): boolean {
  const { role } = session.user;
  return options.adminOnly ? role === "admin" : role === "helpdesk" || role === "admin";
}

function toAgent(session: CurrentSession): Agent {
  return {
    id: session.user.id,
    email: session.user.email,
    displayName: session.user.displayName,
    role: session.user.role as Agent["role"],
    sessionId: session.id,
  };
}

// The layout and the page both ask; a refusal is recorded once per request (R-A16.4).
const auditDenial = cache(async (userId: string | null, target: string): Promise<void> => {
  const context = await getRequestContext();
  await writeAudit(await getDb(), {
    action: "admin.access.denied",
    outcome: "denied",
    actorId: userId,
    subjectId: null,
    ...context,
    details: { target: target.slice(0, 200) },
  });
});

async function refuse(session: CurrentSession | null, target: string): Promise<never> {
  await auditDenial(session?.user.id ?? null, target);
  notFound();
}

/**
 * What the portal asks of everyone, asked of agents too: a second factor registered (agents
 * always need one, R-A16.1) and no password waiting to be changed.
 */

async function requireReadyAgent(session: CurrentSession, here: string): Promise<void> {
  const db = await getDb();
  const { methods } = await getMethodSummary(db, session.user.id);
  if (methods.length === 0) {
    redirect("/security-info");
  }
  // The organisation may require the console's accounts to use a passkey: registered, and
  // proven in this session (a phishing-resistant factor for the accounts that can reset others).
  const gate = passkeyGate(passkeyRequiredForAgents(), methods, session.methods);
  if (gate === "register") redirect("/security-info?outcome=passkey-required");
  if (gate === "prove") redirect(`/admin/passkey-check?callbackUrl=${encodeURIComponent(here)}`);
  if ((await getPasswordStatus(db, session.user.id)).mustChangePassword) {
    redirect(`/change-password?next=${encodeURIComponent(here)}`);
  }
}

/**
 * For admin pages: the agent, or notFound() for anyone else (audited as "admin.access.denied",
 * R-A16.4); a signed-out visitor goes to /signin. A link from another site never opens the
 * console directly (the effect of SameSite=Strict, R-A12.2): it lands on the overview.
 */
export async function requireAgentPage(options: GuardOptions = {}): Promise<Agent> {
  const here = await getRequestPath();
  const session = await getCurrentSession();
  if (!session) redirect(`/signin?callbackUrl=${encodeURIComponent(here)}`);
  if (!isAgent(session, options)) return refuse(session, here);
  if ((await headers()).get("sec-fetch-site") === "cross-site") redirect("/");
  await requireReadyAgent(session, here);
  // A session that never passed a second factor (or not recently enough to count) proves one now.
  if (session.aal < 2) await requireFreshSession(here);
  return toAgent(session);
}

/**
 * For admin server actions and route handlers: also requires a second factor no older than the
 * step-up window (R-A9.1) — starts a step-up and redirects back to `returnTo` when stale;
 * refuses (notFound + audit) non-agents before anything else.
 */
export async function requireAgentAction(
  returnTo: string,
  options: GuardOptions = {},
): Promise<Agent> {
  const back = safeRedirectPath(returnTo, "/admin");
  const session = await getCurrentSession();
  if (!session) redirect(`/signin?callbackUrl=${encodeURIComponent(back)}`);
  if (!isAgent(session, options)) return refuse(session, back);
  await requireReadyAgent(session, back);
  const fresh = await requireFreshSession(back);
  // The step-up may have changed nothing but the proof; the role is read again with the session.
  if (!isAgent(fresh, options)) return refuse(fresh, back);
  return toAgent(fresh);
}

/**
 * Audit + notify the subject in the caller's transaction (R-A16.2, R-A16.3): actor, subject,
 * reason, ticket, IP, outcome.
 */
export async function recordAgentAction(tx: Executor, input: AgentRecord): Promise<void> {
  await recordAgentActionWith(tx, input, await getRequestContext());
}
