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
import { emailMatches, type Role } from "@/lib/auth/users";
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

// A sign-in to a service that cannot show a web page — a VPN over RADIUS, a script or a PAM
// module over the services API — from the name it is given to the decision (docs/decisions/0019,
// 0020). The password goes through the web's password gate, the second factor through the web's
// verifier, and the records are the web's own. The rules here are only a service's: which of the
// person's ways it can use, who may use it, and what the State of a challenge carries. The
// protocols are thin adapters around this module: lib/radius/conversation.ts and
// lib/services/verify-api.ts.

/** The service a sign-in is for, whichever protocol it speaks. */
export type ServiceInfo = {
  id: string;
  protocol: "radius" | "api";
  /** How My sign-ins, notices and the phone name it: "VPN (…)", "Service (…)". */
  name: string;
  /** The client id its sign-in events carry, apart from any app's: "radius:<id>", "api:<id>". */
  clientId: string;
  /** Roles whose people may use it; null: everyone. */
  allowedRoles: Role[] | null;
  /**
   * Whether the person's password is checked before the second factor. Off only for a service
   * that has proven who the person is by other means (an SSH key before a PAM module).
   */
  passwordRequired: boolean;
};

/** One request of a service, as its protocol carried it. */
export type ServiceAttempt = {
  /** The person's email, as typed. */
  userName: string;
  /** Null when the request had none. */
  password: string | null;
  /** A code typed by the person: with the password at once, or answering a challenge. */
  code: string | null;
  /** The State of a challenge this request answers. */
  state: string | null;
  /** Where the person is, as the service reports it, else the service's own address. */
  context: RequestContext;
};

/** What the service is told: a result, and words people can act on. */
export type ServiceDecision =
  | { result: "accept" }
  | { result: "reject"; message: string }
  | { result: "challenge"; message: string; state: string };

export type ServiceWaitOptions = {
  /** How long a push or a call holds the request. */
  waitSeconds: number;
  /** How often a held request looks at the answer. */
  pollMs?: number;
};

/** What a service tells the person, in one place so the docs can quote them. */
export const SERVICE_MESSAGES = {
  /** Said by the services API with an accept; RADIUS's Access-Accept carries no message. */
  accepted: "You are signed in.",
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

/** The ways a service can take: it can show a prompt and wait, but not run a passkey ceremony. */
const SERVICE_OPTIONS: SignInChoice["option"][] = ["push", "code", "voice", "sms"];

/** The longest email the password gate looks up. */
const MAX_EMAIL_LENGTH = 320;

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

/** Whether a person with `role` may use the service. */
export function mayUseService(service: Pick<ServiceInfo, "allowedRoles">, role: Role): boolean {
  return service.allowedRoles === null || service.allowedRoles.includes(role);
}

/**
 * The sign-in transaction's token, derived from the State the service carries: the State travels
 * outside the browser, and must not open the sign-in in a browser as a cookie. Each protocol has
 * its own derivation, and a transaction is bound to its service besides.
 */
function transactionTokenFor(service: ServiceInfo, state: string): string {
  return createHmac("sha256", getSecrets().authSecret)
    .update(`${service.protocol}-state\u0000${state}`)
    .digest("base64url");
}

/** One request being answered. */
type Run = {
  service: ServiceInfo;
  app: { name: string; clientId: string };
  context: RequestContext;
  origin: RequestOrigin;
  options: ServiceWaitOptions;
};

/** A sign-in past its first step: the person, the State, and the methods used so far. */
type SignInInProgress = {
  user: SecondFactorUser;
  state: string;
  token: string;
  transactionId: string;
  methods: string[];
};

function inProgress(
  run: Run,
  user: SecondFactorUser,
  state: string,
  methods: string[],
): SignInInProgress {
  const token = transactionTokenFor(run.service, state);
  return { user, state, token, transactionId: hashToken(token), methods };
}

/** Answers one request of `service`. */
export async function signInToService(
  db: Db,
  service: ServiceInfo,
  attempt: ServiceAttempt,
  options: ServiceWaitOptions,
): Promise<ServiceDecision> {
  const run: Run = {
    service,
    app: { name: service.name, clientId: service.clientId },
    context: attempt.context,
    origin: await lookupOrigin(attempt.context),
    options,
  };
  if (!attempt.userName) return reject(SERVICE_MESSAGES.refused);
  if (attempt.state !== null) {
    return answerChallenge(db, run, attempt.userName, attempt.state, attempt.code ?? "");
  }
  if (attempt.password !== null) {
    return answerPassword(db, run, attempt.userName, attempt.password, attempt.code);
  }
  if (service.passwordRequired) return reject(SERVICE_MESSAGES.refused);
  return answerWithoutPassword(db, run, attempt.userName, attempt.code);
}

function reject(message: string): ServiceDecision {
  return { result: "reject", message };
}

/** The sign-in event of a refused password step, as the web records it. */
function failureReason({ locked, cause }: { locked: boolean; cause: RefusalCause }) {
  if (locked) return "locked" as const;
  if (cause === "directory_unavailable") return cause;
  if (isDirectoryHold(cause)) return "directory_refused" as const;
  return cause === "unknown_account" || cause === "account_disabled" ? cause : "wrong_password";
}

type Person = { id: string; email: string; displayName: string };

type AfterFirstStep =
  | { next: "not_allowed" | "no_mfa" | "no_usable_method" }
  | { next: "second_factor"; choice: SignInChoice; summary: MethodSummary; state: string };

/**
 * After the first step (the password, or the service's own proof): whether the person may use
 * the service and has a way it can take; if so, the sign-in transaction its State stands for.
 * In the caller's transaction, with its records.
 */
async function openSecondStep(
  tx: Executor,
  run: Run,
  user: Person,
  { risk, summary }: { risk: RiskAssessment; summary: MethodSummary },
  methods: string[],
): Promise<AfterFirstStep> {
  const { app, context, origin, service } = run;
  const event = (
    result: "failure" | "interrupted",
    reason: SignInEventReason,
    txId = null as string | null,
  ) =>
    recordSignInEvent(
      tx,
      { userId: user.id, result, reason, methods, transactionId: txId, risk, origin, app },
      context,
    );
  if (!mayUseService(service, summary.role)) {
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
  const token = transactionTokenFor(service, state);
  await beginSignInTransaction(tx, {
    token,
    userId: user.id,
    purpose: "sign_in",
    stage: "second_factor",
    methods,
    callbackPath: service.clientId,
    ip: context.ip,
    userAgent: context.userAgent,
  });
  await event("interrupted", "mfa_abandoned", hashToken(token));
  // A risky sign-in past its first step is told to the person, as on the web (R-A14.6).
  if (isRisky(risk.level)) await respondToRisk(tx, user, risk, context, origin, app.name);
  return { next: "second_factor", choice, summary, state };
}

async function answerPassword(
  db: Db,
  run: Run,
  userName: string,
  password: string,
  code: string | null,
): Promise<ServiceDecision> {
  const { app, context, origin } = run;
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
    prepare: (user) => prepare(db, run, user.id),
    complete: (tx, { user, prepared }) => openSecondStep(tx, run, user, prepared, ["pwd"]),
  });
  if (!checked.ok) return reject(SERVICE_MESSAGES.refused);
  return secondStep(db, run, checked.user, checked.value, ["pwd"], code);
}

/** The slow look-ups before the first step's transaction. */
async function prepare(db: Db, run: Run, userId: string) {
  const [risk, summary] = await Promise.all([
    assessSignInRisk(db, { userId, at: clock.now(), intel: run.origin.intel }),
    getMethodSummary(db, userId),
  ]);
  return { risk, summary };
}

/**
 * A service that has proven who the person is by its own means (an SSH key before a PAM module)
 * asks for the second factor alone. An unknown or disabled account is refused in the words of a
 * wrong password; the password step's pauses do not apply, since no password is tried — the
 * second step's own do (R-A11.6).
 */
async function answerWithoutPassword(
  db: Db,
  run: Run,
  userName: string,
  code: string | null,
): Promise<ServiceDecision> {
  const { app, context, origin } = run;
  const email = userName.trim().toLowerCase();
  if (!email || email.length > MAX_EMAIL_LENGTH) return reject(SERVICE_MESSAGES.refused);
  const [account] = await db
    .select({
      id: users.id,
      email: users.email,
      displayName: users.displayName,
      status: users.status,
    })
    .from(users)
    .where(emailMatches(email));
  if (!account || account.status !== "active") {
    const reason = account ? "account_disabled" : "unknown_account";
    await db.transaction(async (tx) => {
      await writeAudit(tx, {
        action: "auth.sign_in.failed",
        outcome: "failure",
        actorId: null,
        subjectId: account?.id ?? null,
        ...context,
        details: { reason, email, service: app.name },
      });
      await recordSignInEvent(
        tx,
        { userId: account?.id ?? null, result: "failure", reason, methods: [], origin, app },
        context,
      );
    });
    return reject(SERVICE_MESSAGES.refused);
  }
  const user = { id: account.id, email: account.email, displayName: account.displayName };
  const prepared = await prepare(db, run, user.id);
  const after = await db.transaction((tx) => openSecondStep(tx, run, user, prepared, []));
  return secondStep(db, run, user, after, [], code);
}

/** The second step: a code given at once, or the person's way — a push, a call, a challenge. */
async function secondStep(
  db: Db,
  run: Run,
  person: Person,
  after: AfterFirstStep,
  methods: string[],
  code: string | null,
): Promise<ServiceDecision> {
  const url = getEnv().PUBLIC_URL;
  if (after.next !== "second_factor") {
    const refusals = {
      not_allowed: SERVICE_MESSAGES.notAllowed,
      no_mfa: SERVICE_MESSAGES.noMfa(url),
      no_usable_method: SERVICE_MESSAGES.noUsableMethod(url),
    };
    return reject(refusals[after.next]);
  }
  const user: SecondFactorUser = {
    id: person.id,
    email: person.email,
    displayName: person.displayName,
  };
  const sign = inProgress(run, user, after.state, methods);
  const { choice } = after;
  // A code given at once answers when the person has a code device.
  if (code !== null && after.summary.choices.some((c) => c.option === "code")) {
    return verifyAnswer(db, run, sign, { option: "code", methodId: null }, code);
  }
  switch (choice.option) {
    case "push":
      return holdForPush(db, run, sign);
    case "voice":
      return holdForCall(db, run, sign, choice.methodId!);
    case "sms": {
      const sent = await sendPhoneChallenge(
        db,
        { id: user.id },
        { userId: user.id, purpose: "sign_in", transactionId: sign.transactionId },
        choice.methodId!,
        "sms",
        run.context,
      );
      if (!sent.ok) return endWith(db, sign, reject(SERVICE_MESSAGES.tooManyRequests));
      const phone = after.summary.methods.find((m) => m.id === choice.methodId);
      const number = phone ? shortPhone(phoneNumberOf(phone)) : "your phone";
      return {
        result: "challenge",
        message: SERVICE_MESSAGES.enterTextCode(number),
        state: sign.state,
      };
    }
    default:
      return { result: "challenge", message: SERVICE_MESSAGES.enterCode, state: sign.state };
  }
}

/** Ends the sign-in with a refusal: its State cannot be answered again (R-A20.4). */
async function endWith(
  db: Db,
  sign: SignInInProgress,
  decision: ServiceDecision,
  reason?: SignInEventReason,
): Promise<ServiceDecision> {
  await db.transaction(async (tx) => {
    await abandonSignInTransaction(tx, sign.transactionId);
    if (reason) await failSignInEvent(tx, sign.transactionId, reason);
  });
  return decision;
}

/** The State of a challenge may be at most this long: longer is none we made. */
const MAX_STATE_LENGTH = 64;

/** The answer to a challenge: the code, with the State it was asked under. */
async function answerChallenge(
  db: Db,
  run: Run,
  userName: string,
  state: string,
  answer: string,
): Promise<ServiceDecision> {
  const transaction =
    state.length <= MAX_STATE_LENGTH
      ? await getSignInTransaction(db, transactionTokenFor(run.service, state))
      : null;
  // Bound to this service and the person who started it (R-A20.4).
  if (
    !transaction ||
    transaction.stage !== "second_factor" ||
    transaction.callbackPath !== run.service.clientId
  ) {
    return reject(SERVICE_MESSAGES.expired);
  }
  const [user] = await db
    .select({ id: users.id, email: users.email, displayName: users.displayName })
    .from(users)
    .where(eq(users.id, transaction.userId));
  const sign = inProgress(run, user!, state, transaction.methods);
  if (!user || user.email.toLowerCase() !== userName.trim().toLowerCase()) {
    return endWith(db, sign, reject(SERVICE_MESSAGES.expired));
  }
  const choice = serviceChoice(await getMethodSummary(db, user.id));
  if (!choice || (choice.option !== "code" && choice.option !== "sms")) {
    return endWith(db, sign, reject(SERVICE_MESSAGES.expired));
  }
  return verifyAnswer(db, run, sign, choice, answer);
}

/** Checks an answer through the web's verifier; the sign-in ends either way (single use). */
async function verifyAnswer(
  db: Db,
  run: Run,
  sign: SignInInProgress,
  choice: SignInChoice,
  answer: string,
): Promise<ServiceDecision> {
  const verified = await verifySecondFactor(db, sign.user, choice.option, answer, {
    ...run.context,
    purpose: "sign_in",
    transactionId: sign.transactionId,
    methodId: choice.methodId,
    app: run.app,
    pushPurpose: "service_sign_in",
  });
  if (verified.ok) return finish(db, run, sign, verified.amr);
  const message = verified.waitSeconds
    ? SERVICE_MESSAGES.paused(Math.ceil(verified.waitSeconds / 60))
    : SERVICE_MESSAGES.wrongCode;
  // The failure is already recorded as its own event; the pending one goes.
  return endWith(db, sign, reject(message), "mfa_failed");
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Holds the request while the phone is asked "Did you just sign in to <service>?", until it is
 * approved, denied, or the wait is over.
 */
async function holdForPush(db: Db, run: Run, sign: SignInInProgress): Promise<ServiceDecision> {
  const { waitSeconds, pollMs = 250 } = run.options;
  const binding = {
    userId: sign.user.id,
    transactionId: sign.transactionId,
    purpose: "service_sign_in" as const,
  };
  const sent = await startPushRequest(db, sign.user, binding, run.context, undefined, {
    name: run.app.name,
    ttlSeconds: waitSeconds,
  });
  if (!sent.ok) return endWith(db, sign, reject(SERVICE_MESSAGES.tooManyRequests));
  // Counted in polls, not by the clock: a test may hold the clock still.
  for (let waited = 0; waited < waitSeconds * 1000; waited += pollMs) {
    const status = await getPushStatus(db, binding, sent.requestId);
    if (status === "approved") {
      return verifyAnswer(db, run, sign, { option: "push", methodId: null }, sent.requestId);
    }
    if (status === "denied") {
      return endWith(db, sign, reject(SERVICE_MESSAGES.denied), "mfa_denied");
    }
    if (status !== "pending") break;
    await sleep(pollMs);
  }
  return endWith(db, sign, reject(SERVICE_MESSAGES.noResponse), "mfa_timed_out");
}

/** Holds the request while Factor calls the person, who presses # to approve. */
async function holdForCall(
  db: Db,
  run: Run,
  sign: SignInInProgress,
  methodId: string,
): Promise<ServiceDecision> {
  const { waitSeconds, pollMs = 250 } = run.options;
  const binding = {
    userId: sign.user.id,
    purpose: "sign_in" as const,
    transactionId: sign.transactionId,
  };
  const sent = await sendPhoneChallenge(
    db,
    { id: sign.user.id },
    binding,
    methodId,
    "voice",
    run.context,
  );
  if (!sent.ok) return endWith(db, sign, reject(SERVICE_MESSAGES.tooManyRequests));
  // Counted in polls, not by the clock: a test may hold the clock still.
  for (let waited = 0; waited < waitSeconds * 1000; waited += pollMs) {
    const status = await getCallStatus(db, binding, sent.challengeId);
    if (status === "approved") {
      return verifyAnswer(db, run, sign, { option: "voice", methodId }, sent.challengeId);
    }
    if (status === "declined") {
      return endWith(db, sign, reject(SERVICE_MESSAGES.denied), "mfa_denied");
    }
    if (status !== "ringing") break;
    await sleep(pollMs);
  }
  return endWith(db, sign, reject(SERVICE_MESSAGES.noResponse), "mfa_timed_out");
}

/**
 * Every factor passed: the transaction is used up, and the sign-in recorded as the web records
 * one — minus the session, which a service keeps itself.
 */
async function finish(
  db: Db,
  run: Run,
  sign: SignInInProgress,
  amr: string,
): Promise<ServiceDecision> {
  const methods = [...sign.methods, amr];
  const done = await db.transaction(async (tx) => {
    const [account] = await tx
      .select({ status: users.status })
      .from(users)
      .where(eq(users.id, sign.user.id));
    if (account?.status !== "active") return false;
    const moved = await advanceSignInTransaction(tx, sign.transactionId, "second_factor", "ready", {
      methods,
      secondFactorAt: clock.now(),
    });
    if (!moved || !(await consumeSignInTransaction(tx, sign.token))) return false;
    await writeAudit(tx, {
      action: "auth.sign_in.succeeded",
      outcome: "success",
      subjectId: sign.user.id,
      actorId: sign.user.id,
      ...run.context,
      details: { methods: methods.join(" "), service: run.app.name },
    });
    await finishSignInEvent(
      tx,
      {
        userId: sign.user.id,
        transactionId: sign.transactionId,
        purpose: "sign_in",
        sessionId: null,
        methods,
        origin: run.origin,
      },
      run.context,
    );
    return true;
  });
  return done ? { result: "accept" } : reject(SERVICE_MESSAGES.expired);
}
