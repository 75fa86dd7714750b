import { createHmac, randomInt } from "node:crypto";
import { and, desc, eq, gt, inArray, lt, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { describeWait } from "@/lib/actions/wait-text";
import { writeAudit } from "@/lib/audit/log";
import type { Db, Executor } from "@/lib/db/client";
import { callerVerifications, mfaMethods, users } from "@/lib/db/schema";
import { databaseNowPlus } from "@/lib/db/time";
import { getEnv, getSecrets } from "@/lib/env";
import {
  consumeApprovedPush,
  getLatestPush,
  getPushAnswer,
  startPushRequest,
  type PushBinding,
} from "@/lib/mfa/companion-push";
import { EMAIL_CODE_DIGITS, getAlternateEmail, maskEmail } from "@/lib/mfa/alternate-email";
import { getMethodSummary } from "@/lib/mfa/methods";
import {
  emailCodeAllowance,
  lockEmailSends,
  lockSends,
  sendAllowance,
} from "@/lib/mfa/phone-send-limits";
import {
  isPhoneKind,
  METHOD_KIND_INFO,
  methodName,
  phoneNumberOf,
  type MethodKind,
} from "@/lib/mfa/registry";
import { queueMessage } from "@/lib/notify/outbox";
import { isUuid } from "@/lib/security/ids";
import { safeEqual } from "@/lib/security/tokens";
import type { RequestContext } from "@/lib/types/request";
import type { Result } from "@/lib/types/result";
import { agentMayActOn, type Agent } from "./agent-rules";

// "Verify identity" (R-A10.4, docs/decisions/0018-caller-verification.md): before the helpdesk
// resets anything for a caller, it checks that the caller holds the person's phone — a request
// to their Authenticator app, or a code texted to their phone that the caller reads back — or
// their alternate email's inbox, with a code emailed there (never to the account's own). Each
// check is bound to the agent, the person and the method; a verified check stands for
// VERIFIED_CALLER_MAX_AGE_MS, is shown to every agent on the person's page, and is cited in the
// audit record of each agent action on the person in that time.

/** How long a verified caller stays verified: about the length of a helpdesk call. */
export const VERIFIED_CALLER_MAX_AGE_MS = 10 * 60_000;
/** How long a texted or emailed code can be read back. */
export const CALLER_CODE_TTL_MS = 10 * 60_000;
/** Wrong codes after which a code is dead: the agent sends a new one, within the send limits. */
export const CALLER_CODE_MAX_FAILURES = 3;

export type CallerVerificationMethod = "push" | "sms" | "email";
type CodeMethod = Exclude<CallerVerificationMethod, "push">;

/** Digits in a code: an emailed one has more, as every emailed code does (decision 0023). */
const CALLER_CODE_DIGITS: Record<CodeMethod, number> = { sms: 6, email: EMAIL_CODE_DIGITS };

/** What the console calls each method: "Verified by push", "Verified by text". */
export const CALLER_METHOD_NAMES: Record<CallerVerificationMethod, string> = {
  push: "push",
  sms: "text",
  email: "email",
};

/** What an agent action on the person says when the organisation requires a check first. */
export const CALLER_NOT_VERIFIED_MESSAGE =
  "Verify the caller first, with “Verify identity”: your organisation requires a check less than 10 minutes old, made by you, before a password reset, a Temporary Access Pass or an MFA reset.";

type Subject = { id: string; email: string; displayName: string; role: Agent["role"] | "user" };

type Refused<Reason extends string> = Result<never, Reason, { message: string }>;

const MISSING = "That account does not exist.";

async function getSubject(db: Executor, subjectId: string): Promise<Subject | null> {
  if (!isUuid(subjectId)) return null;
  const [row] = await db
    .select({
      id: users.id,
      email: users.email,
      displayName: users.displayName,
      role: users.role,
    })
    .from(users)
    .where(eq(users.id, subjectId));
  return row ?? null;
}

/**
 * The person, when the agent may check them (not themselves; a helpdesk agent not an
 * administrator). A refusal is audited (R-A16.4).
 */
async function judge(
  db: Db,
  agent: Agent,
  subjectId: string,
  method: CallerVerificationMethod | "code",
  context: RequestContext,
): Promise<Result<{ subject: Subject }, "missing" | "refused", { message: string }>> {
  const subject = await getSubject(db, subjectId);
  if (!subject) return { ok: false, reason: "missing", message: MISSING };
  const permission = agentMayActOn(agent, subject, "verify_caller");
  if (permission.ok) return { ok: true, subject };
  await writeAudit(db, {
    action: "admin.caller.verification_sent",
    outcome: "denied",
    actorId: agent.id,
    subjectId: subject.id,
    ...context,
    details: { method, actorRole: agent.role },
  });
  return { ok: false, reason: "refused", message: permission.message };
}

// ── what can be used ────────────────────────────────────────────────────────

type TextablePhone = { id: string; name: string; e164: string };

async function listTextablePhones(db: Executor, userId: string): Promise<TextablePhone[]> {
  const { methods } = await getMethodSummary(db, userId);
  return methods
    .filter((m) => isPhoneKind(m.kind) && METHOD_KIND_INFO[m.kind].signInOptions.includes("sms"))
    .map((m) => ({ id: m.id, name: methodName(m), e164: phoneNumberOf(m) }));
}

/**
 * The person's verified alternate email, for a user account only: like a text, an inbox is not
 * enough to vouch for an agent or an administrator (R-A5.6). Never the account's own address —
 * see the decision record.
 */
async function getEmailableAddress(
  db: Executor,
  subject: Pick<Subject, "id" | "role">,
): Promise<{ email: string } | null> {
  if (subject.role !== "user") return null;
  return getAlternateEmail(db, subject.id);
}

export type CallerVerificationOptions = {
  /** A phone paired with the Authenticator app can be sent a request. */
  push: boolean;
  /** Phones that can be texted a code, by their masked name; never the number. */
  phones: { id: string; name: string }[];
  /** Their verified alternate email, masked, when a code can be emailed there. */
  alternateEmail: string | null;
};

/**
 * How this person can be checked: their paired phones and the phones that take texts, among
 * the methods they can use now (texts not for agent accounts, nor while texts cannot be sent),
 * and their alternate email.
 */
export async function getCallerVerificationOptions(
  db: Executor,
  subject: Pick<Subject, "id" | "role">,
): Promise<CallerVerificationOptions> {
  const { methods } = await getMethodSummary(db, subject.id);
  const phones = await listTextablePhones(db, subject.id);
  const address = await getEmailableAddress(db, subject);
  return {
    push: methods.some((m) => METHOD_KIND_INFO[m.kind].signInOptions.includes("push")),
    phones: phones.map(({ id, name }) => ({ id, name })),
    alternateEmail: address ? maskEmail(address.email) : null,
  };
}

// ── a request to the person's Authenticator app ─────────────────────────────

function pushBinding(userId: string, verificationId: string): PushBinding {
  return { userId, transactionId: verificationId, purpose: "helpdesk_verification" };
}

/** An agent's earlier check of this person by the same method ends when a new one starts. */
async function replaceWaiting(
  tx: Executor,
  agentId: string,
  userId: string,
  method: CallerVerificationMethod,
): Promise<void> {
  await tx
    .update(callerVerifications)
    .set({ status: "replaced", endedAt: sql`now()` })
    .where(
      and(
        eq(callerVerifications.agentId, agentId),
        eq(callerVerifications.userId, userId),
        eq(callerVerifications.method, method),
        eq(callerVerifications.status, "pending"),
      ),
    );
}

export type StartRefusal = "missing" | "refused" | "unavailable" | "limit" | "paused";

const PUSH_REFUSALS: Record<"unavailable" | "limit" | "paused", string> = {
  unavailable: "This person has no phone paired with the Authenticator app.",
  limit:
    "Their phone has had as many requests as it may in the last few minutes, or one is still waiting for an answer. Wait a few minutes, or send a code instead.",
  paused:
    "Requests to their phone are paused for an hour: someone answered “This wasn't me” to one. Verify the caller another way.",
};

/**
 * "Send a request to their app": a number-matching request to the person's paired phones with
 * the helpdesk's purpose, so the phone says who asks and why (R-A6.1); the agent reads the
 * number to the caller. Within the push limits (R-A6.3, R-A6.4); the agent's request still
 * waiting is shown again rather than a second one sent.
 */
export async function startPushVerification(
  db: Db,
  agent: Agent,
  subjectId: string,
  context: RequestContext,
): Promise<Result<{ verificationId: string; number: string }, StartRefusal, { message: string }>> {
  const judged = await judge(db, agent, subjectId, "push", context);
  if (!judged.ok) return judged;
  const { subject } = judged;
  if (!(await getCallerVerificationOptions(db, subject)).push) {
    return { ok: false, reason: "unavailable", message: PUSH_REFUSALS.unavailable };
  }
  const [waiting] = await db
    .select({ id: callerVerifications.id })
    .from(callerVerifications)
    .where(
      and(
        eq(callerVerifications.agentId, agent.id),
        eq(callerVerifications.userId, subject.id),
        eq(callerVerifications.method, "push"),
        eq(callerVerifications.status, "pending"),
        gt(callerVerifications.expiresAt, sql`now()`),
      ),
    )
    .orderBy(desc(callerVerifications.createdAt))
    .limit(1);
  if (waiting) {
    const push = await getLatestPush(db, pushBinding(subject.id, waiting.id));
    if (push?.status === "pending")
      return { ok: true, verificationId: waiting.id, number: push.number };
  }

  const verificationId = crypto.randomUUID();
  const binding = pushBinding(subject.id, verificationId);
  const started = await startPushRequest(db, subject, binding, context, {
    id: agent.id,
    displayName: agent.displayName,
  });
  if (!started.ok) {
    return { ok: false, reason: started.reason, message: PUSH_REFUSALS[started.reason] };
  }
  await db.transaction(async (tx) => {
    await replaceWaiting(tx, agent.id, subject.id, "push");
    await tx.insert(callerVerifications).values({
      id: verificationId,
      userId: subject.id,
      agentId: agent.id,
      method: "push",
      pushRequestId: started.requestId,
      expiresAt: databaseNowPlus(getEnv().PUSH_REQUEST_TTL_SECONDS * 1000),
    });
    await writeAudit(tx, {
      action: "admin.caller.verification_sent",
      outcome: "success",
      actorId: agent.id,
      subjectId: subject.id,
      ...context,
      details: { method: "push", verificationId, requestId: started.requestId },
    });
  });
  const push = await getLatestPush(db, binding);
  return { ok: true, verificationId, number: push!.number };
}

export type PushVerificationStatus =
  "pending" | "approved" | "denied" | "reported" | "expired" | "gone";

type PushRow = { id: string; status: string; pushRequestId: string | null };

async function getOwnPushCheck(
  db: Executor,
  agentId: string,
  userId: string,
  verificationId: string,
  lock = false,
): Promise<PushRow | null> {
  if (!isUuid(verificationId)) return null;
  const query = db
    .select({
      id: callerVerifications.id,
      status: callerVerifications.status,
      pushRequestId: callerVerifications.pushRequestId,
    })
    .from(callerVerifications)
    .where(
      and(
        eq(callerVerifications.id, verificationId),
        eq(callerVerifications.agentId, agentId),
        eq(callerVerifications.userId, userId),
        eq(callerVerifications.method, "push"),
      ),
    );
  const [row] = lock ? await query.for("update") : await query;
  return row ?? null;
}

const ENDED_STATUS: Record<string, PushVerificationStatus> = {
  verified: "approved",
  denied: "denied",
  reported: "reported",
  expired: "expired",
};

async function pushStatusOf(db: Executor, userId: string, row: PushRow) {
  if (row.status !== "pending") return ENDED_STATUS[row.status] ?? "gone";
  if (!row.pushRequestId) return "gone";
  const answer = await getPushAnswer(db, pushBinding(userId, row.id), row.pushRequestId);
  if (answer.status === "denied") return answer.fraudReported ? "reported" : "denied";
  return answer.status;
}

/** How the agent's own request is going: what the console polls. Another agent's is "gone". */
export async function getPushVerificationStatus(
  db: Executor,
  agentId: string,
  userId: string,
  verificationId: string,
): Promise<PushVerificationStatus> {
  const row = await getOwnPushCheck(db, agentId, userId, verificationId);
  return row ? pushStatusOf(db, userId, row) : "gone";
}

export type FinishRefusal =
  "missing" | "refused" | "pending" | "denied" | "reported" | "expired" | "gone";

const PUSH_ENDINGS: Record<Exclude<FinishRefusal, "missing" | "refused">, string> = {
  pending: "They haven't answered on their phone yet.",
  denied: "They denied the request on their phone: the caller is not verified.",
  reported:
    "They answered “This wasn't me” on their phone: the caller is not verified and may not be who they say. Requests to their phone are paused for an hour.",
  expired: "The request wasn't answered in time. Send another request, or send a code.",
  gone: "That request is no longer waiting. Send another.",
};

/**
 * Records how the person answered the agent's request, once: approved, the caller is verified
 * and the approval is used up; denied or "This wasn't me", it is recorded as such and the agent
 * told; unanswered in time, it expired.
 */
export async function finishPushVerification(
  db: Db,
  agent: Agent,
  subjectId: string,
  verificationId: string,
  context: RequestContext,
): Promise<Result<{ verifiedAt: Date }, FinishRefusal, { message: string }>> {
  const judged = await judge(db, agent, subjectId, "push", context);
  if (!judged.ok) return judged;
  const { subject } = judged;
  const refused = (
    reason: Exclude<FinishRefusal, "missing" | "refused">,
  ): Refused<typeof reason> => ({
    ok: false,
    reason,
    message: PUSH_ENDINGS[reason],
  });
  return db.transaction(async (tx) => {
    const row = await getOwnPushCheck(tx, agent.id, subject.id, verificationId, true);
    if (!row) return refused("gone");
    if (row.status === "verified") {
      const [done] = await tx
        .select({ endedAt: callerVerifications.endedAt })
        .from(callerVerifications)
        .where(eq(callerVerifications.id, row.id));
      return { ok: true as const, verifiedAt: done!.endedAt! };
    }
    const status = await pushStatusOf(tx, subject.id, row);
    if (row.status !== "pending" || status === "pending") {
      return refused(status === "approved" ? "gone" : status);
    }
    const audit = { actorId: agent.id, subjectId: subject.id, ...context };
    if (status === "approved") {
      const methodId = await consumeApprovedPush(
        tx,
        pushBinding(subject.id, row.id),
        row.pushRequestId!,
      );
      if (!methodId) return refused("gone");
      const verifiedAt = await endCheck(tx, row.id, "verified");
      await writeAudit(tx, {
        action: "admin.caller.verified",
        outcome: "success",
        ...audit,
        details: { method: "push", verificationId: row.id, requestId: row.pushRequestId },
      });
      return { ok: true as const, verifiedAt };
    }
    const ending = status === "denied" || status === "reported" ? status : "expired";
    await endCheck(tx, row.id, ending);
    await writeAudit(tx, {
      action: "admin.caller.verification_failed",
      outcome: ending === "expired" ? "failure" : "denied",
      ...audit,
      details: { method: "push", verificationId: row.id, answer: ending },
    });
    return refused(status === "gone" ? "gone" : ending);
  });
}

async function endCheck(
  tx: Executor,
  id: string,
  status: "verified" | "denied" | "reported" | "failed" | "expired",
): Promise<Date> {
  const [row] = await tx
    .update(callerVerifications)
    .set({ status, endedAt: sql`now()` })
    .where(eq(callerVerifications.id, id))
    .returning({ endedAt: callerVerifications.endedAt });
  return row!.endedAt!;
}

// ── a code texted to the person's phone, or emailed to their alternate email ──

function newCode(method: CodeMethod): string {
  const digits = CALLER_CODE_DIGITS[method];
  return String(randomInt(0, 10 ** digits)).padStart(digits, "0");
}

/** A code is kept as a keyed hash bound to its check: a leaked row cannot be tried offline. */
function hashCode(verificationId: string, code: string): string {
  return createHmac("sha256", getSecrets().authSecret)
    .update(`caller-code\u0000${verificationId}\u0000${code}`)
    .digest("base64url");
}

/**
 * What the text or email says. Unlike a sign-in code, it may be read out — but only to the
 * helpdesk the person called themselves: someone who calls them "from the helpdesk" and asks for
 * it is not. No link: it is read out, never followed (R-A5.8).
 */
function codeMessage(code: string): string {
  const org = getEnv().ORG_NAME;
  return `${org} helpdesk: your code is ${code}. Read it out only if you called the helpdesk yourself and are on the call now. If you didn't call them, don't share it.`;
}

type CodeStart = Result<
  { verificationId: string; sentTo: string },
  StartRefusal,
  { message: string }
>;

/**
 * Sends a code check to one destination within its send limits (R-A5.4), in one transaction that
 * holds the destination's send locks: the agent's earlier code for this person (texted or
 * emailed) stops working, the new one is kept hashed and queued sealed like every code (R-A3.5),
 * and the audit record never holds it. Past the limits, the refusal is audited instead.
 */
async function sendCodeCheck(
  db: Db,
  agent: Agent,
  subject: Subject,
  send: {
    method: CodeMethod;
    recipient: string;
    sentTo: string;
    phoneMethodId?: string;
    /** Takes the send locks and says how many seconds until one more may go. */
    allowance: (tx: Executor) => Promise<number>;
    /** What the agent is told while the limits hold, given the wait ("5 minutes"). */
    busy: (retryIn: string) => string;
  },
  context: RequestContext,
): Promise<CodeStart> {
  const { method, phoneMethodId } = send;
  const audit = { actorId: agent.id, subjectId: subject.id, ...context };
  const where: Record<string, string> = phoneMethodId ? { methodId: phoneMethodId } : {};
  return db.transaction(async (tx) => {
    const wait = await send.allowance(tx);
    if (wait > 0) {
      await writeAudit(tx, {
        action: "admin.caller.verification_sent",
        outcome: "denied",
        ...audit,
        details: { method, ...where, retryAfterSeconds: wait },
      });
      return {
        ok: false as const,
        reason: "limit" as const,
        message: send.busy(describeWait(wait)),
      };
    }
    for (const earlier of ["sms", "email"] as const) {
      await replaceWaiting(tx, agent.id, subject.id, earlier);
    }
    const verificationId = crypto.randomUUID();
    const code = newCode(method);
    await tx.insert(callerVerifications).values({
      id: verificationId,
      userId: subject.id,
      agentId: agent.id,
      method,
      phoneMethodId: phoneMethodId ?? null,
      codeHash: hashCode(verificationId, code),
      expiresAt: databaseNowPlus(CALLER_CODE_TTL_MS),
    });
    await queueMessage(tx, {
      userId: subject.id,
      channel: method,
      recipient: send.recipient,
      ...(method === "email" ? { subject: `Your ${getEnv().ORG_NAME} helpdesk code` } : {}),
      body: codeMessage(code),
      sensitive: true,
      reference: verificationId,
    });
    await writeAudit(tx, {
      action: "admin.caller.verification_sent",
      outcome: "success",
      ...audit,
      details: { method, ...where, verificationId },
    });
    return { ok: true as const, verificationId, sentTo: send.sentTo };
  });
}

/**
 * "Text a code": a random code to one of the person's phones that take texts, within the phone
 * send limits — which also bound how often a new code can be tried.
 */
export async function startTextVerification(
  db: Db,
  agent: Agent,
  subjectId: string,
  phoneMethodId: string,
  context: RequestContext,
): Promise<CodeStart> {
  const judged = await judge(db, agent, subjectId, "sms", context);
  if (!judged.ok) return judged;
  const { subject } = judged;
  const phone = (await listTextablePhones(db, subject.id)).find((p) => p.id === phoneMethodId);
  if (!phone) {
    return {
      ok: false,
      reason: "unavailable",
      message: "That phone can't be texted: choose one of the person's phones.",
    };
  }
  const sending = {
    method: "sms",
    recipient: phone.e164,
    sentTo: phone.name,
    phoneMethodId: phone.id,
    allowance: async (tx: Executor) => {
      await lockSends(tx, subject.id, phone.e164);
      return sendAllowance(tx, subject.id, phone.e164, true);
    },
    busy: (retryIn: string) =>
      `Their phone has had as many texts as it may for now. Try again in ${retryIn}, or send a request to their app.`,
  } as const;
  return sendCodeCheck(db, agent, subject, sending, context);
}

/**
 * "Email a code": a random code to the person's verified alternate email, within the emailed
 * codes' limits. Never to the account's own address, which the caller may have lost with the
 * account — or an impostor may hold.
 */
export async function startEmailVerification(
  db: Db,
  agent: Agent,
  subjectId: string,
  context: RequestContext,
): Promise<CodeStart> {
  const judged = await judge(db, agent, subjectId, "email", context);
  if (!judged.ok) return judged;
  const { subject } = judged;
  const address = await getEmailableAddress(db, subject);
  if (!address) {
    return {
      ok: false,
      reason: "unavailable",
      message: "This person has no verified alternate email to send a code to.",
    };
  }
  const sending = {
    method: "email",
    recipient: address.email,
    sentTo: maskEmail(address.email),
    allowance: async (tx: Executor) => {
      await lockEmailSends(tx, subject.id, address.email);
      return emailCodeAllowance(tx, subject.id, address.email, "helpdesk");
    },
    busy: (retryIn: string) =>
      `Their alternate email has had as many codes as it may for now. Try again in ${retryIn}, or verify them another way.`,
  } as const;
  return sendCodeCheck(db, agent, subject, sending, context);
}

export type CodeRefusal =
  "missing" | "refused" | "malformed" | "no_code" | "expired" | "wrong_code" | "dead";

/**
 * "Check" the code the caller reads: the agent's own latest code for this person, under a row
 * lock so two checks at once are counted one after the other. Right, it is used up and the
 * caller verified; wrong, one more failure, and the CALLER_CODE_MAX_FAILURES-th kills it.
 */
export async function checkCallerCode(
  db: Db,
  agent: Agent,
  subjectId: string,
  input: string,
  context: RequestContext,
): Promise<Result<{ verifiedAt: Date }, CodeRefusal, { message: string }>> {
  const judged = await judge(db, agent, subjectId, "code", context);
  if (!judged.ok) return judged;
  const { subject } = judged;
  const code = input.replace(/[\s-]/g, "");
  return db.transaction(async (tx) => {
    const [check] = await tx
      .select({
        id: callerVerifications.id,
        method: callerVerifications.method,
        codeHash: callerVerifications.codeHash,
        failures: callerVerifications.failures,
        expired: sql<boolean>`${callerVerifications.expiresAt} <= now()`,
      })
      .from(callerVerifications)
      .where(
        and(
          eq(callerVerifications.agentId, agent.id),
          eq(callerVerifications.userId, subject.id),
          inArray(callerVerifications.method, ["sms", "email"]),
          eq(callerVerifications.status, "pending"),
        ),
      )
      .orderBy(desc(callerVerifications.createdAt))
      .limit(1)
      .for("update");
    if (!check?.codeHash || check.method === "push") {
      return {
        ok: false as const,
        reason: "no_code" as const,
        message: "No code is waiting: send the caller a code first.",
      };
    }
    const { method } = check;
    const digits = CALLER_CODE_DIGITS[method];
    if (!new RegExp(`^\\d{${digits}}$`).test(code)) {
      // Cannot be right, so it is not counted.
      return {
        ok: false as const,
        reason: "malformed" as const,
        message: `Enter the ${digits} digits the caller reads to you.`,
      };
    }
    const audit = { actorId: agent.id, subjectId: subject.id, ...context };
    if (check.expired) {
      await endCheck(tx, check.id, "expired");
      await writeAudit(tx, {
        action: "admin.caller.verification_failed",
        outcome: "failure",
        ...audit,
        details: { method, verificationId: check.id, answer: "expired" },
      });
      return {
        ok: false as const,
        reason: "expired" as const,
        message: "That code has expired: send the caller a new one.",
      };
    }
    if (safeEqual(check.codeHash, hashCode(check.id, code))) {
      const verifiedAt = await endCheck(tx, check.id, "verified");
      await writeAudit(tx, {
        action: "admin.caller.verified",
        outcome: "success",
        ...audit,
        details: { method, verificationId: check.id },
      });
      return { ok: true as const, verifiedAt };
    }
    const failures = check.failures + 1;
    const dead = failures >= CALLER_CODE_MAX_FAILURES;
    await tx
      .update(callerVerifications)
      .set(dead ? { failures, status: "failed", endedAt: sql`now()` } : { failures })
      .where(eq(callerVerifications.id, check.id));
    await writeAudit(tx, {
      action: "admin.caller.verification_failed",
      outcome: "failure",
      ...audit,
      details: { method, verificationId: check.id, answer: "wrong_code", failures, dead },
    });
    if (dead) {
      return {
        ok: false as const,
        reason: "dead" as const,
        message: `That code is wrong too: after ${CALLER_CODE_MAX_FAILURES} wrong codes it no longer works. The caller is not verified; send a new code if you still want to check.`,
      };
    }
    const left = CALLER_CODE_MAX_FAILURES - failures;
    return {
      ok: false as const,
      reason: "wrong_code" as const,
      message: `That code is wrong. ${left} more ${left === 1 ? "try" : "tries"}, then the code stops working.`,
    };
  });
}

// ── the verified state ──────────────────────────────────────────────────────

export type VerifiedCaller = {
  id: string;
  method: CallerVerificationMethod;
  verifiedAt: Date;
};

/**
 * The agent's own check of this person that succeeded in the last VERIFIED_CALLER_MAX_AGE_MS,
 * newest first: what lets an action through when the organisation requires one, and what the
 * action's audit record cites. Another agent's check proves who was on their call, not this one.
 */
export async function getVerifiedCaller(
  db: Executor,
  agentId: string,
  userId: string,
): Promise<VerifiedCaller | null> {
  const [row] = await db
    .select({
      id: callerVerifications.id,
      method: callerVerifications.method,
      verifiedAt: callerVerifications.endedAt,
    })
    .from(callerVerifications)
    .where(
      and(
        eq(callerVerifications.agentId, agentId),
        eq(callerVerifications.userId, userId),
        eq(callerVerifications.status, "verified"),
        gt(callerVerifications.endedAt, databaseNowPlus(-VERIFIED_CALLER_MAX_AGE_MS)),
      ),
    )
    .orderBy(desc(callerVerifications.endedAt))
    .limit(1);
  return row?.verifiedAt ? { id: row.id, method: row.method, verifiedAt: row.verifiedAt } : null;
}

/** What an agent action's audit record says of the caller's check, when there is one. */
export function citeVerifiedCaller(caller: VerifiedCaller | null): Record<string, string> {
  return caller
    ? {
        verifiedBy: caller.method,
        verifiedAt: caller.verifiedAt.toISOString(),
        verificationId: caller.id,
      }
    : {};
}

export type CallerVerificationView = {
  /** The newest check that succeeded in the window, whoever made it. */
  verified: {
    method: CallerVerificationMethod;
    at: Date;
    until: Date;
    agent: string | null;
    byYou: boolean;
  } | null;
  /** A check that failed after it (or with none): denied, reported, wrong codes. */
  failed: {
    method: CallerVerificationMethod;
    how: "denied" | "reported" | "failed";
    at: Date;
    agent: string | null;
  } | null;
  /** The agent's own request still to be settled, with the number to read out. */
  waitingPush: { verificationId: string; number: string } | null;
  /** The agent's own texted or emailed code still waiting to be read back. */
  waitingCode: {
    verificationId: string;
    method: CodeMethod;
    sentTo: string;
    expiresAt: Date;
  } | null;
};

/** Everything the person's page shows of caller checks, for this agent. */
export async function getCallerVerificationView(
  db: Executor,
  agentId: string,
  userId: string,
): Promise<CallerVerificationView> {
  const agent = alias(users, "agent");
  const rows = await db
    .select({
      id: callerVerifications.id,
      agentId: callerVerifications.agentId,
      agent: agent.displayName,
      method: callerVerifications.method,
      status: callerVerifications.status,
      failures: callerVerifications.failures,
      endedAt: callerVerifications.endedAt,
      expiresAt: callerVerifications.expiresAt,
      live: sql<boolean>`${callerVerifications.expiresAt} > now()`,
      // Judged with the database's clock, like every expiry (docs/decisions/0016-time.md).
      recent: sql<boolean>`coalesce(${callerVerifications.endedAt} > ${databaseNowPlus(-VERIFIED_CALLER_MAX_AGE_MS)}, false)`,
      phoneKind: sql<MethodKind | null>`${mfaMethods.kind}`,
      phoneLabel: mfaMethods.label,
    })
    .from(callerVerifications)
    .leftJoin(agent, eq(agent.id, callerVerifications.agentId))
    .leftJoin(mfaMethods, eq(mfaMethods.id, callerVerifications.phoneMethodId))
    .where(
      and(
        eq(callerVerifications.userId, userId),
        gt(callerVerifications.createdAt, databaseNowPlus(-2 * VERIFIED_CALLER_MAX_AGE_MS)),
      ),
    )
    .orderBy(desc(callerVerifications.createdAt));
  const ended = rows.filter((r) => r.endedAt !== null && r.recent);
  const verifiedRow = ended
    .filter((r) => r.status === "verified")
    .sort((a, b) => b.endedAt!.getTime() - a.endedAt!.getTime())[0];
  const failedRow = ended
    .filter(
      (r) =>
        (r.status === "denied" || r.status === "reported" || r.status === "failed") &&
        (!verifiedRow || r.endedAt! > verifiedRow.endedAt!),
    )
    .sort((a, b) => b.endedAt!.getTime() - a.endedAt!.getTime())[0];

  const ownPush = rows.find(
    (r) => r.agentId === agentId && r.method === "push" && r.status === "pending",
  );
  const push = ownPush ? await getLatestPush(db, pushBinding(userId, ownPush.id)) : null;
  const ownCode = rows.find(
    (r) => r.agentId === agentId && r.method !== "push" && r.status === "pending" && r.live,
  );
  const codeSentTo = async (code: NonNullable<typeof ownCode>) => {
    if (code.method === "email") {
      const address = await getAlternateEmail(db, userId);
      return address ? maskEmail(address.email) : "their alternate email";
    }
    return code.phoneKind && code.phoneLabel !== null
      ? methodName({ kind: code.phoneKind, label: code.phoneLabel })
      : "their phone";
  };

  return {
    verified: verifiedRow
      ? {
          method: verifiedRow.method,
          at: verifiedRow.endedAt!,
          until: new Date(verifiedRow.endedAt!.getTime() + VERIFIED_CALLER_MAX_AGE_MS),
          agent: verifiedRow.agent,
          byYou: verifiedRow.agentId === agentId,
        }
      : null,
    failed: failedRow
      ? {
          method: failedRow.method,
          how: failedRow.status as "denied" | "reported" | "failed",
          at: failedRow.endedAt!,
          agent: failedRow.agent,
        }
      : null,
    waitingPush: ownPush && push ? { verificationId: ownPush.id, number: push.number } : null,
    waitingCode:
      ownCode && ownCode.method !== "push"
        ? {
            verificationId: ownCode.id,
            method: ownCode.method,
            sentTo: await codeSentTo(ownCode),
            expiresAt: ownCode.expiresAt,
          }
        : null,
  };
}

/** Removes checks a day past their time; the audit log keeps what happened. */
export async function purgeCallerVerifications(db: Executor): Promise<void> {
  await db
    .delete(callerVerifications)
    .where(lt(callerVerifications.expiresAt, sql`now() - interval '1 day'`));
}
