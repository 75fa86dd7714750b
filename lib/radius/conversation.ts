import { createHmac } from "node:crypto";
import { eq } from "drizzle-orm";
import { assessSignInRisk, type RiskAssessment } from "@/lib/activity/risk";
import {
  failSignInEvent,
  finishSignInEvent,
  isRisky,
  lookupOrigin,
  recordSignInEvent,
  type RequestOrigin,
  type SignInEventReason,
} from "@/lib/activity/sign-in-events";
import { writeAudit } from "@/lib/audit/log";
import { checkPassword, isDirectoryHold, type RefusalCause } from "@/lib/auth/password-gate";
import { respondToRisk } from "@/lib/auth/sign-in";
import {
  abandonSignInTransaction,
  advanceSignInTransaction,
  beginSignInTransaction,
  consumeSignInTransaction,
  getSignInTransaction,
} from "@/lib/auth/sign-in-transaction";
import { clock } from "@/lib/clock";
import type { Db, Executor } from "@/lib/db/client";
import { users } from "@/lib/db/schema";
import { getEnv, getSecrets } from "@/lib/env";
import { getPushStatus, startPushRequest } from "@/lib/mfa/companion-push";
import { getMethodSummary, type MethodSummary } from "@/lib/mfa/methods";
import { shortPhone } from "@/lib/mfa/phone-numbers";
import { getCallStatus, sendPhoneChallenge } from "@/lib/mfa/phone-challenges";
import { phoneNumberOf, type SignInChoice } from "@/lib/mfa/registry";
import { verifySecondFactor, type SecondFactorUser } from "@/lib/mfa/second-factor";
import { hashToken, newToken } from "@/lib/security/tokens";
import type { RequestContext } from "@/lib/types/request";
import { mayUseClient, serviceClientId, serviceName, type ActiveRadiusClient } from "./clients";

// One RADIUS Access-Request, answered (RFC 2865, PAP): an adapter between the protocol and the
// core. The password goes through the web's password gate, the second factor through the web's
// verifier, and the records are the web's own; the rules here are only the protocol's —
// which of the person's ways a VPN can use, and what the State of a challenge carries
// (docs/decisions/0019).

/** What the VPN is told: a code and a Reply-Message people can act on. */
export type RadiusDecision =
  | { code: "Access-Accept"; message?: string }
  | { code: "Access-Reject"; message: string }
  | { code: "Access-Challenge"; message: string; state: string };

export type RadiusAttempt = {
  userName: string | null;
  /** User-Password revealed with the shared secret; null when the request had none. */
  password: string | null;
  /** The State of an Access-Challenge this request answers. */
  state: string | null;
  /** Where the person is, as the client reports it, else the client's own address. */
  context: RequestContext;
};

export type ConversationOptions = {
  /** How long a push or a call holds the request (RADIUS_PUSH_TIMEOUT_SECONDS). */
  waitSeconds: number;
  /** How often a held request looks at the answer. */
  pollMs?: number;
};

/** The Reply-Messages, in one place so docs/radius.md can quote them. */
export const RADIUS_MESSAGES = {
  /** The web's words: a wrong password, an unknown account and a lock alike (R-A18.1). */
  refused: "Your account or password is incorrect.",
  noMfa: (url: string) => `You have not set up MFA yet — go to ${url}`,
  noUsableMethod: (url: string) =>
    `Your sign-in method cannot be used for this service — add an authenticator app at ${url}`,
  denied: "Your sign-in request was denied",
  noResponse: "No response from your phone",
  paused: (minutes: number) =>
    `Your account is paused for ${minutes} minute${minutes === 1 ? "" : "s"}`,
  notAllowed: "This account may not use this service",
  wrongCode: "That code didn't work. Sign in again.",
  expired: "Your sign-in has expired. Sign in again.",
  unavailable: "Your sign-in could not be checked just now. Try again.",
  tooManyRequests: "Too many sign-in requests. Wait a few minutes, then sign in again.",
  enterCode: "Enter the code from your authenticator app",
  enterTextCode: (number: string) => `Enter the code we texted to ${number}`,
} as const;

/** The ways a VPN can take: it can show a prompt and wait, but not run a passkey ceremony. */
const SERVICE_OPTIONS: SignInChoice["option"][] = ["push", "code", "voice", "sms"];

/**
 * The way a service asks for: the person's default when the service can use it (R-A5.6 already
 * keeps a text from being the default while a stronger method exists), else the strongest it can.
 */
export function serviceChoice(summary: MethodSummary): SignInChoice | null {
  const usable = (choice: SignInChoice) => SERVICE_OPTIONS.includes(choice.option);
  if (summary.defaultChoice && usable(summary.defaultChoice)) return summary.defaultChoice;
  return (
    summary.choices
      .filter(usable)
      .sort((a, b) => SERVICE_OPTIONS.indexOf(a.option) - SERVICE_OPTIONS.indexOf(b.option))[0] ??
    null
  );
}

/**
 * "password,code" in one User-Password, for clients that cannot show a challenge: the code is
 * the six digits after the last comma. (A password that itself ends so is read the same way.)
 */
export function splitPasswordAndCode(input: string): { password: string; code: string | null } {
  const match = /^([\s\S]*),(\d{6})$/.exec(input);
  return match ? { password: match[1]!, code: match[2]! } : { password: input, code: null };
}

/**
 * The sign-in transaction's token, derived from the State the VPN carries: the State travels in
 * the clear between the VPN and Factor, and must not open the sign-in in a browser as a cookie.
 */
function transactionTokenFor(state: string): string {
  return createHmac("sha256", getSecrets().authSecret)
    .update(`radius-state\u0000${state}`)
    .digest("base64url");
}

/** Marks a sign-in transaction as belonging to one client's service. */
function callbackPathFor(client: ActiveRadiusClient): string {
  return `radius:${client.id}`;
}

type Service = {
  client: ActiveRadiusClient;
  app: { name: string; clientId: string };
  context: RequestContext;
  origin: RequestOrigin;
  options: ConversationOptions;
};

/** Answers one Access-Request from `client`. */
export async function answerAccessRequest(
  db: Db,
  client: ActiveRadiusClient,
  attempt: RadiusAttempt,
  options: ConversationOptions,
): Promise<RadiusDecision> {
  const service: Service = {
    client,
    app: { name: serviceName(client), clientId: serviceClientId(client) },
    context: attempt.context,
    origin: await lookupOrigin(attempt.context),
    options,
  };
  if (!attempt.userName || attempt.password === null) {
    return { code: "Access-Reject", message: RADIUS_MESSAGES.refused };
  }
  if (attempt.state !== null) {
    return answerChallenge(db, service, attempt.userName, attempt.state, attempt.password);
  }
  return answerPassword(db, service, attempt.userName, attempt.password);
}

/** The sign-in event of a refused password step, as the web records it. */
function failureReason({ locked, cause }: { locked: boolean; cause: RefusalCause }) {
  if (locked) return "locked" as const;
  if (cause === "directory_unavailable") return cause;
  if (isDirectoryHold(cause)) return "directory_refused" as const;
  return cause === "unknown_account" || cause === "account_disabled" ? cause : "wrong_password";
}

type AfterPassword =
  | { next: "not_allowed" | "no_mfa" | "no_usable_method" }
  | { next: "second_factor"; choice: SignInChoice; summary: MethodSummary; state: string };

async function answerPassword(
  db: Db,
  service: Service,
  userName: string,
  typed: string,
): Promise<RadiusDecision> {
  const { app, context, origin, client } = service;
  const { password, code } = splitPasswordAndCode(typed);
  const checked = await checkPassword(db, {
    account: { email: userName },
    password,
    context,
    purpose: "sign_in",
    details: { service: app.name },
    onRefused: (tx, refusal) =>
      recordSignInEvent(
        tx,
        {
          userId: refusal.account?.id ?? null,
          result: "failure",
          reason: failureReason(refusal),
          methods: ["pwd"],
          origin,
          app,
        },
        context,
      ),
    prepare: async (user) => {
      const [risk, summary] = await Promise.all([
        assessSignInRisk(db, { userId: user.id, at: clock.now(), intel: origin.intel }),
        getMethodSummary(db, user.id),
      ]);
      return { risk, summary };
    },
    complete: async (tx, { user, prepared: { risk, summary } }): Promise<AfterPassword> => {
      const event = (
        result: "failure" | "interrupted",
        reason: SignInEventReason,
        txId = null as string | null,
      ) =>
        recordSignInEvent(
          tx,
          {
            userId: user.id,
            result,
            reason,
            methods: ["pwd"],
            transactionId: txId,
            risk,
            origin,
            app,
          },
          context,
        );
      if (!mayUseClient(client, summary.role)) {
        await writeAudit(tx, {
          action: "auth.sign_in.failed",
          outcome: "denied",
          actorId: null,
          subjectId: user.id,
          ...context,
          details: { reason: "not_allowed", service: app.name },
        });
        await event("failure", "not_allowed");
        return { next: "not_allowed" };
      }
      // A service always asks for a second factor, whatever the web would let through (R-A1.4).
      if (summary.registered.length === 0) {
        await event("interrupted", "registration_abandoned");
        return { next: "no_mfa" };
      }
      const choice = serviceChoice(summary);
      if (!choice) {
        await event("interrupted", "mfa_abandoned");
        return { next: "no_usable_method" };
      }
      const state = newToken();
      const token = transactionTokenFor(state);
      await beginSignInTransaction(tx, {
        token,
        userId: user.id,
        purpose: "sign_in",
        stage: "second_factor",
        methods: ["pwd"],
        callbackPath: callbackPathFor(client),
        ip: context.ip,
        userAgent: context.userAgent,
      });
      await event("interrupted", "mfa_abandoned", hashToken(token));
      await riskResponse(tx, user, risk, service);
      return { next: "second_factor", choice, summary, state };
    },
  });
  if (!checked.ok) return { code: "Access-Reject", message: RADIUS_MESSAGES.refused };
  const after = checked.value;
  const url = getEnv().PUBLIC_URL;
  if (after.next !== "second_factor") {
    const refusals = {
      not_allowed: RADIUS_MESSAGES.notAllowed,
      no_mfa: RADIUS_MESSAGES.noMfa(url),
      no_usable_method: RADIUS_MESSAGES.noUsableMethod(url),
    };
    return reject(refusals[after.next]);
  }

  const user: SecondFactorUser = {
    id: checked.user.id,
    email: checked.user.email,
    displayName: checked.user.displayName,
  };
  const sign = { user, state: after.state };
  const { choice } = after;
  // "password,code": the code answers at once when the person has a code device.
  if (code !== null && after.summary.choices.some((c) => c.option === "code")) {
    return verifyAnswer(db, service, sign, { option: "code", methodId: null }, code);
  }
  switch (choice.option) {
    case "push":
      return holdForPush(db, service, sign);
    case "voice":
      return holdForCall(db, service, sign, choice.methodId!);
    case "sms": {
      const sent = await sendPhoneChallenge(
        db,
        { id: user.id },
        { userId: user.id, purpose: "sign_in", transactionId: txIdOf(sign.state) },
        choice.methodId!,
        "sms",
        context,
      );
      if (!sent.ok) return endWith(db, sign, reject(RADIUS_MESSAGES.tooManyRequests));
      const phone = after.summary.methods.find((m) => m.id === choice.methodId);
      const number = phone ? shortPhone(phoneNumberOf(phone)) : "your phone";
      return {
        code: "Access-Challenge",
        message: RADIUS_MESSAGES.enterTextCode(number),
        state: sign.state,
      };
    }
    default:
      return { code: "Access-Challenge", message: RADIUS_MESSAGES.enterCode, state: sign.state };
  }
}

/** A risky sign-in with the right password is told to the person, as on the web (R-A14.6). */
async function riskResponse(
  tx: Executor,
  user: { id: string; email: string; displayName: string },
  risk: RiskAssessment,
  { context, origin, app }: Service,
): Promise<void> {
  if (isRisky(risk.level)) await respondToRisk(tx, user, risk, context, origin, app.name);
}

function reject(message: string): RadiusDecision {
  return { code: "Access-Reject", message };
}

/** The stored id of the sign-in transaction a State stands for. */
function txIdOf(state: string): string {
  return hashToken(transactionTokenFor(state));
}

type SignInInProgress = { user: SecondFactorUser; state: string };

/** Ends the sign-in with a refusal: its State cannot be answered again (R-A20.4). */
async function endWith(
  db: Db,
  sign: SignInInProgress,
  decision: RadiusDecision,
  reason?: SignInEventReason,
): Promise<RadiusDecision> {
  await db.transaction(async (tx) => {
    await abandonSignInTransaction(tx, txIdOf(sign.state));
    if (reason) await failSignInEvent(tx, txIdOf(sign.state), reason);
  });
  return decision;
}

/** The answer to an Access-Challenge: the code, with the State it was asked under. */
async function answerChallenge(
  db: Db,
  service: Service,
  userName: string,
  state: string,
  answer: string,
): Promise<RadiusDecision> {
  const transaction =
    state.length <= 64 ? await getSignInTransaction(db, transactionTokenFor(state)) : null;
  // Bound to this client and the person who started it (R-A20.4).
  if (
    !transaction ||
    transaction.stage !== "second_factor" ||
    transaction.callbackPath !== callbackPathFor(service.client)
  ) {
    return reject(RADIUS_MESSAGES.expired);
  }
  const [user] = await db
    .select({ id: users.id, email: users.email, displayName: users.displayName })
    .from(users)
    .where(eq(users.id, transaction.userId));
  const sign = { user: user!, state };
  if (!user || user.email.toLowerCase() !== userName.trim().toLowerCase()) {
    return endWith(db, sign, reject(RADIUS_MESSAGES.expired));
  }
  const choice = serviceChoice(await getMethodSummary(db, user.id));
  if (!choice || (choice.option !== "code" && choice.option !== "sms")) {
    return endWith(db, sign, reject(RADIUS_MESSAGES.expired));
  }
  return verifyAnswer(db, service, sign, choice, answer);
}

/** Checks a typed code through the web's verifier; the sign-in ends either way (single use). */
async function verifyAnswer(
  db: Db,
  service: Service,
  sign: SignInInProgress,
  choice: SignInChoice,
  answer: string,
): Promise<RadiusDecision> {
  const verified = await verifySecondFactor(db, sign.user, choice.option, answer, {
    ...service.context,
    purpose: "sign_in",
    transactionId: txIdOf(sign.state),
    methodId: choice.methodId,
    app: service.app,
    pushPurpose: "service_sign_in",
  });
  if (verified.ok) return finish(db, service, sign, verified.amr);
  const message = verified.waitSeconds
    ? RADIUS_MESSAGES.paused(Math.ceil(verified.waitSeconds / 60))
    : RADIUS_MESSAGES.wrongCode;
  // The failure is already recorded as its own event; the pending one goes.
  return endWith(db, sign, reject(message), "mfa_failed");
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Holds the request while the phone is asked "Did you just sign in to <service>?", until it is
 * approved, denied, or the wait is over.
 */
async function holdForPush(
  db: Db,
  service: Service,
  sign: SignInInProgress,
): Promise<RadiusDecision> {
  const { waitSeconds, pollMs = 250 } = service.options;
  const binding = {
    userId: sign.user.id,
    transactionId: txIdOf(sign.state),
    purpose: "service_sign_in" as const,
  };
  const sent = await startPushRequest(db, sign.user, binding, service.context, undefined, {
    name: service.app.name,
    ttlSeconds: waitSeconds,
  });
  if (!sent.ok) return endWith(db, sign, reject(RADIUS_MESSAGES.tooManyRequests));
  // Counted in polls, not by the clock: a test may hold the clock still.
  for (let waited = 0; waited < waitSeconds * 1000; waited += pollMs) {
    const status = await getPushStatus(db, binding, sent.requestId);
    if (status === "approved") {
      return verifyAnswer(db, service, sign, { option: "push", methodId: null }, sent.requestId);
    }
    if (status === "denied") return endWith(db, sign, reject(RADIUS_MESSAGES.denied), "mfa_denied");
    if (status !== "pending") break;
    await sleep(pollMs);
  }
  return endWith(db, sign, reject(RADIUS_MESSAGES.noResponse), "mfa_timed_out");
}

/** Holds the request while Factor calls the person, who presses # to approve. */
async function holdForCall(
  db: Db,
  service: Service,
  sign: SignInInProgress,
  methodId: string,
): Promise<RadiusDecision> {
  const { waitSeconds, pollMs = 250 } = service.options;
  const binding = {
    userId: sign.user.id,
    purpose: "sign_in" as const,
    transactionId: txIdOf(sign.state),
  };
  const sent = await sendPhoneChallenge(
    db,
    { id: sign.user.id },
    binding,
    methodId,
    "voice",
    service.context,
  );
  if (!sent.ok) return endWith(db, sign, reject(RADIUS_MESSAGES.tooManyRequests));
  // Counted in polls, not by the clock: a test may hold the clock still.
  for (let waited = 0; waited < waitSeconds * 1000; waited += pollMs) {
    const status = await getCallStatus(db, binding, sent.challengeId);
    if (status === "approved") {
      return verifyAnswer(db, service, sign, { option: "voice", methodId }, sent.challengeId);
    }
    if (status === "declined")
      return endWith(db, sign, reject(RADIUS_MESSAGES.denied), "mfa_denied");
    if (status !== "ringing") break;
    await sleep(pollMs);
  }
  return endWith(db, sign, reject(RADIUS_MESSAGES.noResponse), "mfa_timed_out");
}

/**
 * Every factor passed: the transaction is used up, and the sign-in recorded as the web records
 * one — minus the session, which a service keeps itself.
 */
async function finish(
  db: Db,
  service: Service,
  sign: SignInInProgress,
  amr: string,
): Promise<RadiusDecision> {
  const token = transactionTokenFor(sign.state);
  const transactionId = hashToken(token);
  const methods = ["pwd", amr];
  const done = await db.transaction(async (tx) => {
    const [account] = await tx
      .select({ status: users.status })
      .from(users)
      .where(eq(users.id, sign.user.id));
    if (account?.status !== "active") return false;
    const moved = await advanceSignInTransaction(tx, transactionId, "second_factor", "ready", {
      methods,
      secondFactorAt: clock.now(),
    });
    if (!moved || !(await consumeSignInTransaction(tx, token))) return false;
    await writeAudit(tx, {
      action: "auth.sign_in.succeeded",
      outcome: "success",
      subjectId: sign.user.id,
      actorId: sign.user.id,
      ...service.context,
      details: { methods: methods.join(" "), service: service.app.name },
    });
    await finishSignInEvent(
      tx,
      {
        userId: sign.user.id,
        transactionId,
        purpose: "sign_in",
        sessionId: null,
        methods,
        origin: service.origin,
      },
      service.context,
    );
    return true;
  });
  return done ? { code: "Access-Accept" } : reject(RADIUS_MESSAGES.expired);
}
