import { sessionProvenWithPasskey } from "@/lib/auth/sessions";
import { z } from "zod";
import type { AuditAction } from "@/lib/audit/events";
import { writeAudit } from "@/lib/audit/log";
import type { Executor } from "@/lib/db/client";
import { queueSecurityNotice, type NoticeEvent } from "@/lib/notify/security-notice";
import type { RequestContext } from "@/lib/types/request";
import type { Result } from "@/lib/types/result";

// The helpdesk console's rules, free of Next.js so they are tested directly: who may act on whom,
// the reason every action carries, and the audit record and notice each one leaves (R-A16).

/** A signed-in helpdesk agent or administrator. */
export type Agent = {
  id: string;
  email: string;
  displayName: string;
  role: "helpdesk" | "admin";
  /** The stored id of the agent's session (a hash), never the token. */
  sessionId: string;
};

export const AGENT_ACTIONS = [
  "require_reregister",
  "revoke_mfa_sessions",
  "forget_browser",
  "sign_out_all",
  "reset_password",
  "unlock",
  "disable",
  "enable",
  "issue_pass",
  "assign_token",
  "delete_method",
  "change_role",
  "verify_caller",
  "allow_postponing",
  "stop_postponing",
] as const;
export type AgentAction = (typeof AGENT_ACTIONS)[number];

/** The audit action each agent action is recorded as. */
export const AGENT_ACTION_AUDIT: Record<AgentAction, AuditAction> = {
  require_reregister: "admin.mfa.reregister_required",
  revoke_mfa_sessions: "admin.mfa_sessions.revoked",
  forget_browser: "admin.remembered_browser.forgotten",
  sign_out_all: "admin.sessions.revoked",
  reset_password: "admin.password.reset",
  unlock: "admin.account.unlocked",
  disable: "admin.account.disabled",
  enable: "admin.account.enabled",
  issue_pass: "admin.pass.issued",
  assign_token: "admin.token.assigned",
  delete_method: "admin.method.deleted",
  change_role: "admin.role.changed",
  verify_caller: "admin.caller.verification_sent",
  allow_postponing: "admin.registration_grace.allowed",
  stop_postponing: "admin.registration_grace.withdrawn",
};

export type SubjectRole = "user" | "helpdesk" | "admin";

/**
 * Whether `agent` may act on `subject` for `action` (R-A10.4, R-A16.1): helpdesk agents never on
 * an administrator nor on themselves, only administrators change roles, nobody issues themselves
 * a pass or verifies themselves as a caller, and an administrator neither disables nor changes the role of their own account (another
 * administrator does). A refusal carries the plain message the agent reads.
 */
export function agentMayActOn(
  agent: Agent,
  subject: { id: string; role: SubjectRole },
  action: AgentAction,
): AgentPermission {
  const self = agent.id === subject.id;
  if (action === "issue_pass" && self)
    return notAllowed("You cannot issue yourself a Temporary Access Pass. Ask another agent.");
  if (action === "verify_caller" && self)
    return notAllowed("You cannot verify yourself as a caller.");
  if (agent.role === "helpdesk") {
    if (action === "change_role") return notAllowed("Only an administrator can change roles.");
    if (self)
      return notAllowed("Helpdesk agents cannot act on their own account. Ask another agent.");
    if (subject.role === "admin")
      return notAllowed("Only an administrator can act on an administrator's account.");
    return { ok: true };
  }
  if (self && (action === "disable" || action === "change_role"))
    return notAllowed("You cannot do this to your own account. Ask another administrator.");
  return { ok: true };
}

export type AgentPermission = Result<object, "not_allowed", { message: string }>;

const notAllowed = (message: string) => ({ ok: false, reason: "not_allowed", message }) as const;

/** Every agent action: a reason (required) and an optional ticket id (R-A16.2). */
export const agentReasonSchema = z.object({
  reason: z
    .string({ error: "Enter a reason" })
    .trim()
    .min(3, "Enter a reason of at least 3 characters")
    .max(500, "Keep the reason under 500 characters")
    // Control characters would corrupt the audit record and its exports (R-A14.4).
    .refine(
      (v) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(v),
      "Use plain text only",
    ),
  ticket: z
    .string()
    .trim()
    .max(64, "A ticket ID has at most 64 characters")
    .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), "Use plain text only")
    .optional()
    .transform((v) => (v ? v : undefined)),
});
export type AgentReasonInput = z.infer<typeof agentReasonSchema>;

/** Reads the reason and ticket from a form: exactly one string each, never an array (R-A17.3). */
export function parseAgentReason(formData: FormData) {
  const reason = formData.getAll("reason");
  const ticket = formData.getAll("ticket");
  return agentReasonSchema.safeParse({
    reason: reason.length === 1 && typeof reason[0] === "string" ? reason[0] : undefined,
    ticket: ticket.length === 1 && typeof ticket[0] === "string" ? ticket[0] : undefined,
  });
}

export type AgentRecord = {
  agent: Agent;
  subject: { id: string; email: string; displayName: string };
  action: AgentAction;
  reason: string;
  ticket?: string | null;
  outcome: "success" | "failure" | "denied";
  details?: Record<string, string | number | boolean | null>;
  /** The notice the subject gets; none when omitted (e.g. a refused attempt). */
  notice?: NoticeEvent;
  noticeDetail?: string;
};

/**
 * Audits an agent action and tells the subject, in the caller's transaction (R-A16.2, R-A16.3):
 * actor, subject, reason, ticket, IP, user agent and outcome. Never a password, pass or secret.
 */
export async function recordAgentActionWith(
  tx: Executor,
  input: AgentRecord,
  context: RequestContext,
): Promise<void> {
  await writeAudit(tx, {
    action: AGENT_ACTION_AUDIT[input.action],
    outcome: input.outcome,
    actorId: input.agent.id,
    subjectId: input.subject.id,
    ip: context.ip,
    userAgent: context.userAgent,
    details: {
      ...input.details,
      reason: input.reason,
      ticket: input.ticket ?? null,
      actorRole: input.agent.role,
    },
  });
  if (input.notice && input.outcome === "success") {
    const ticket = input.ticket ? `Helpdesk reference: ${input.ticket}.` : "";
    const detail = [input.noticeDetail, ticket].filter(Boolean).join(" ");
    await queueSecurityNotice(tx, input.subject, input.notice, context, detail);
  }
}

/**
 * With the organisation requiring passkeys for the console: an agent without one must register
 * one ("register"); one whose session was not proven with it must prove it now ("prove").
 */
export function passkeyGate(
  required: boolean,
  methods: { kind: string }[],
  sessionMethods: string[],
): "ok" | "register" | "prove" {
  if (!required) return "ok";
  if (!methods.some((method) => method.kind === "passkey")) return "register";
  return sessionProvenWithPasskey(sessionMethods) ? "ok" : "prove";
}
