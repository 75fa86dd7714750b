import { createHmac } from "node:crypto";
import { and, count, eq, gt, isNull, sql } from "drizzle-orm";
import {
  advanceSignInEvent,
  getTransactionRisk,
  isRisky,
  lookupOrigin,
  recordSignInEvent,
} from "@/lib/activity/sign-in-events";
import { assessSignInRisk } from "@/lib/activity/risk";
import { writeAudit } from "@/lib/audit/log";
import type { Db } from "@/lib/db/client";
import { companionDevices, mfaMethods, signInTransactions, users } from "@/lib/db/schema";
import { getEnv, getSecrets } from "@/lib/env";
import {
  consumeApprovedPush,
  getLatestPush,
  getPushStatus,
  startPushRequest,
  type PushBinding,
  type PushStatus,
} from "@/lib/mfa/companion-push";
import { seal, unseal } from "@/lib/security/sealing";
import { hashToken, newToken } from "@/lib/security/tokens";
import { signInTransactionTtlMs } from "@/lib/settings/policy";
import {
  PENDING_REASON,
  respondToRisk,
  stageAfterFactors,
  type BrowserState,
  type PasswordStepResult,
} from "./sign-in";
import { advanceSignInTransaction, beginSignInTransaction } from "./sign-in-transaction";
import { emailMatches } from "./users";
import type { RequestContext } from "@/lib/types/request";
import { clock } from "@/lib/clock";

// Phone sign-in (passwordless, issue #8): the person gives only their email and approves a
// number-matching request on a paired phone where they turned phone sign-in on. The phone's key
// is one factor, its own unlock (the app PIN) the other, so the approval stands in for both.
//
// The browser holds a sealed ticket (a sign-in transaction token and when it started), never the
// transaction cookie: a phone sign-in transaction has no first factor, so no other step may ever
// advance it. An unknown email, an account without phone sign-in and a refused request (limits,
// fraud pause) all get a ticket of the same shape and a waiting page with a number that no
// device ever receives (R-A18.1); only the audit log tells them apart.

/** RFC 8176: proof of a software key (the device key) and a PIN (the app's own unlock). */
export const PHONE_SIGN_IN_AMR = ["swk", "pin"];
const TICKET_CONTEXT = "phone-sign-in-ticket";

/** What the browser holds: the attempt, and what "Send another request" needs to start again. */
type Ticket = { token: string; startedAt: number; email: string; callbackPath: string };

function sealTicket(ticket: Ticket): string {
  return seal(
    JSON.stringify({
      t: ticket.token,
      at: ticket.startedAt,
      e: ticket.email,
      c: ticket.callbackPath,
    }),
    TICKET_CONTEXT,
  );
}

function openTicket(sealed: string | undefined): Ticket | null {
  if (!sealed || sealed.length > 4000) return null;
  try {
    const value = JSON.parse(unseal(sealed, TICKET_CONTEXT)) as Record<string, unknown>;
    const { t, at, e, c } = value;
    if (
      typeof t !== "string" ||
      typeof at !== "number" ||
      typeof e !== "string" ||
      typeof c !== "string"
    )
      return null;
    if (clock.ms() - at > signInTransactionTtlMs()) return null;
    return { token: t, startedAt: at, email: e, callbackPath: c };
  } catch {
    return null;
  }
}

function binding(userId: string, token: string): PushBinding {
  return { userId, transactionId: hashToken(token), purpose: "phone_sign_in" };
}

/** The number and request id a ticket without a real request shows: stable, and like a real one. */
function decoy(ticket: Ticket): { id: string; number: string } {
  const mac = createHmac("sha256", getSecrets().authSecret)
    .update(`phone-sign-in-decoy\u0000${ticket.token}`)
    .digest();
  const hex = mac.subarray(0, 16).toString("hex");
  const id = [
    hex.slice(0, 8),
    hex.slice(8, 12),
    `4${hex.slice(13, 16)}`,
    `${"89ab"[mac[8]! % 4]}${hex.slice(17, 20)}`,
    hex.slice(20, 32),
  ].join("-");
  return { id, number: String(10 + (mac.readUInt32BE(16) % 90)) };
}

/** The live phone sign-in transaction of a ticket, if there is a real one. */
async function realSignIn(db: Db, ticket: Ticket) {
  const [row] = await db
    .select({
      id: signInTransactions.id,
      userId: signInTransactions.userId,
      stage: signInTransactions.stage,
      methods: signInTransactions.methods,
    })
    .from(signInTransactions)
    .where(
      and(
        eq(signInTransactions.id, hashToken(ticket.token)),
        isNull(signInTransactions.consumedAt),
        gt(signInTransactions.expiresAt, sql`now()`),
      ),
    );
  return row ?? null;
}

/** Whether the account may sign in by phone: active, with a confirmed phone that has it on. */
async function phoneSignInUser(db: Db, email: string) {
  const [user] = await db
    .select({
      id: users.id,
      email: users.email,
      displayName: users.displayName,
      status: users.status,
    })
    .from(users)
    .where(emailMatches(email));
  if (!user) return { user: null, reason: "unknown_account" } as const;
  if (user.status !== "active") return { user: null, reason: "account_disabled" } as const;
  const [phones] = await db
    .select({ n: count() })
    .from(companionDevices)
    .innerJoin(mfaMethods, eq(mfaMethods.id, companionDevices.methodId))
    .where(
      and(
        eq(companionDevices.userId, user.id),
        eq(companionDevices.phoneSignInEnabled, true),
        eq(mfaMethods.status, "active"),
      ),
    );
  return phones?.n
    ? ({ user, reason: null } as const)
    : ({ user: null, reason: "phone_sign_in_off", userId: user.id } as const);
}

/**
 * "Approve a request on my Authenticator app" from /signin with only an email. Returns a sealed
 * ticket for the browser whatever the email (R-A18.1); a real request goes out only when the
 * account has a phone with phone sign-in on, within the push limits (R-A6.3, R-A6.4).
 */
export async function startPhoneSignIn(
  db: Db,
  input: { email: string; callbackPath: string },
  context: RequestContext,
): Promise<string> {
  const email = input.email.trim().toLowerCase();
  const origin = await lookupOrigin(context);
  const found = await phoneSignInUser(db, email);
  const refuse = async (reason: string, userId: string | null, token = newToken()) => {
    await writeAudit(db, {
      action: "auth.sign_in.failed",
      outcome: "failure",
      subjectId: userId,
      ip: context.ip,
      userAgent: context.userAgent,
      details: { reason, method: "phone_sign_in", email },
    });
    return sealTicket({ token, startedAt: clock.ms(), email, callbackPath: input.callbackPath });
  };
  if (!found.user) return refuse(found.reason, ("userId" in found && found.userId) || null);
  const user = found.user;

  const risk = await assessSignInRisk(db, {
    userId: user.id,
    at: clock.now(),
    intel: origin.intel,
  });
  const token = await beginSignInTransaction(db, {
    userId: user.id,
    purpose: "sign_in",
    stage: "second_factor",
    methods: [],
    callbackPath: input.callbackPath,
    ip: context.ip,
    userAgent: context.userAgent,
  });
  const push = await startPushRequest(db, user, binding(user.id, token), context);
  if (!push.ok) {
    await db.delete(signInTransactions).where(eq(signInTransactions.id, hashToken(token)));
    return refuse(`phone_sign_in_${push.reason}`, user.id, token);
  }
  await db.transaction(async (tx) => {
    await recordSignInEvent(
      tx,
      {
        userId: user.id,
        result: "interrupted",
        reason: PENDING_REASON.second_factor,
        methods: [],
        transactionId: hashToken(token),
        risk,
        origin,
      },
      context,
    );
    if (isRisky(risk.level)) await respondToRisk(tx, user, risk, context, origin);
  });
  return sealTicket({ token, startedAt: clock.ms(), email, callbackPath: input.callbackPath });
}

export type PhoneSignInWait = { requestId: string; number: string; status: PushStatus };

/** What the waiting page shows for a ticket: the number to type on the phone. Null: start again. */
export async function getPhoneSignInWait(
  db: Db,
  sealedTicket: string | undefined,
): Promise<PhoneSignInWait | null> {
  const ticket = openTicket(sealedTicket);
  if (!ticket) return null;
  const real = await realSignIn(db, ticket);
  const push = real ? await getLatestPush(db, binding(real.userId, ticket.token)) : null;
  if (push) return { requestId: push.id, number: push.number, status: push.status };
  const fake = decoy(ticket);
  return { requestId: fake.id, number: fake.number, status: decoyStatus(ticket) };
}

function decoyStatus(ticket: Ticket): PushStatus {
  return clock.ms() - ticket.startedAt < getEnv().PUSH_REQUEST_TTL_SECONDS * 1000
    ? "pending"
    : "expired";
}

/** How the ticket's request is going: what the waiting page polls. */
export async function getPhoneSignInStatus(
  db: Db,
  sealedTicket: string | undefined,
  requestId: string,
): Promise<PushStatus> {
  const ticket = openTicket(sealedTicket);
  if (!ticket) return "gone";
  const real = await realSignIn(db, ticket);
  if (real && (await getLatestPush(db, binding(real.userId, ticket.token))))
    return getPushStatus(db, binding(real.userId, ticket.token), requestId);
  return decoy(ticket).id === requestId ? decoyStatus(ticket) : "gone";
}

class NotMoved extends Error {}

/**
 * Finishes a phone sign-in once its own request was approved (R-A1.6): the approval is used up,
 * both factors are recorded, and the transaction goes on to "Stay signed in?" like any other.
 * `{ ok: false }` for a ticket without a real request, a request not approved, or one used.
 */
export async function finishPhoneSignIn(
  db: Db,
  sealedTicket: string | undefined,
  requestId: string,
  context: RequestContext,
  browser: BrowserState = { stayChoice: null },
): Promise<PasswordStepResult> {
  const ticket = openTicket(sealedTicket);
  const real = ticket ? await realSignIn(db, ticket) : null;
  if (!ticket || !real || real.stage !== "second_factor" || real.methods.length > 0)
    return { ok: false };
  const next = stageAfterFactors(browser, isRisky(await getTransactionRisk(db, real.id)));
  try {
    await db.transaction(async (tx) => {
      const methodId = await consumeApprovedPush(tx, binding(real.userId, ticket.token), requestId);
      if (!methodId) throw new NotMoved();
      const moved = await advanceSignInTransaction(tx, real.id, "second_factor", next.stage, {
        methods: PHONE_SIGN_IN_AMR,
        secondFactorAt: clock.now(),
        persistent: next.persistent,
      });
      if (!moved) throw new NotMoved();
      await writeAudit(tx, {
        action: "auth.mfa.succeeded",
        outcome: "success",
        actorId: real.userId,
        subjectId: real.userId,
        ip: context.ip,
        userAgent: context.userAgent,
        details: { option: "push", purpose: "phone_sign_in", methodId },
      });
      await advanceSignInEvent(tx, real.id, { methods: PHONE_SIGN_IN_AMR, registered: false });
    });
  } catch (error) {
    if (error instanceof NotMoved) return { ok: false };
    throw error;
  }
  return {
    ok: true,
    transactionToken: ticket.token,
    stage: next.stage,
    persistent: next.persistent,
  };
}

/**
 * "Send another request": a new attempt for the ticket's email. While the ticket's own request is
 * still waiting, the same ticket comes back (one outstanding request, R-A6.3). Null: start again
 * from /signin.
 */
export async function resendPhoneSignIn(
  db: Db,
  sealedTicket: string | undefined,
  context: RequestContext,
): Promise<string | null> {
  const ticket = openTicket(sealedTicket);
  if (!ticket) return null;
  const wait = await getPhoneSignInWait(db, sealedTicket);
  if (wait?.status === "pending" || wait?.status === "approved") return sealedTicket!;
  return startPhoneSignIn(db, { email: ticket.email, callbackPath: ticket.callbackPath }, context);
}
