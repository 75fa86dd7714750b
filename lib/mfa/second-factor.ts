import { sql } from "drizzle-orm";
import { lookupOrigin, recordSignInEvent } from "@/lib/activity/sign-in-events";
import { writeAudit } from "@/lib/audit/log";
import type { Db, Executor } from "@/lib/db/client";
import { queueSecurityNotice } from "@/lib/notify/security-notice";
import { mfaAccountThrottlePolicy, mfaThrottlePolicy } from "@/lib/settings/policy";
import { getThrottle, recordFailure, resetThrottle } from "@/lib/security/throttle";
import { verifyAuthenticatorCode } from "./authenticator-app";
import { verifyHardwareTokenCode } from "./hardware-token";
import { consumeApprovedPush } from "./companion-push";
import { consumeRecoveryCode, RECOVERY_CODE_COUNT } from "./recovery-codes";
import { countRecoveryCodes } from "./methods";
import { verifyPasskeySecondFactor } from "./passkeys";
import { checkTextCode, consumeApprovedCall, type ChallengeBinding } from "./phone-challenges";
import { SIGN_IN_OPTIONS, type SignInOptionId } from "./registry";
import { isUuid } from "@/lib/security/ids";
import type { RequestContext } from "@/lib/types/request";
import type { Result } from "@/lib/types/result";

export type SecondFactorUser = { id: string; email: string; displayName: string };
export type SecondFactorContext = RequestContext & {
  purpose: "sign_in" | "step_up" | "enrol";
  /** The sign-in transaction a phone challenge is bound to, and the phone chosen. */
  transactionId?: string | null;
  methodId?: string | null;
  /** The service signed in to, for the records of a failure; the portal when absent. */
  app?: { name: string; clientId: string };
  /** Which push requests answer: a web sign-in's, or a service's without a number. */
  pushPurpose?: "second_factor" | "service_sign_in";
};

/** What a phone answer is checked against: this user's challenge for this purpose and transaction. */
type Target = {
  binding: ChallengeBinding;
  methodId: string | null;
  pushPurpose?: "second_factor" | "service_sign_in";
  /** Where the answer came from, for what a verifier records itself (a passkey's counter). */
  request: RequestContext;
};

type Verifier = {
  /** The input as the verifier wants it, or null when it cannot be a valid answer. */
  normalise: (input: string) => string | null;
  /** Checks and consumes the answer in the caller's transaction. */
  check: (db: Executor, userId: string, answer: string, target: Target) => Promise<AnswerCheck>;
};

type AnswerCheck = Result<object, "wrong_answer" | "replayed_code">;

/** A check that has nothing to tell but whether the answer held. */
const held = (ok: boolean): AnswerCheck => (ok ? { ok } : { ok, reason: "wrong_answer" });

/**
 * One verifier per sign-in option. A new kind of method that signs in with a typed answer (a text
 * message code, a hardware token) adds its entry here and in registry.ts.
 */
const VERIFIERS: Record<SignInOptionId, Verifier> = {
  code: {
    normalise: normaliseOtp,
    // Authenticator apps and hardware tokens both show codes: either may answer.
    check: async (db, userId, answer) => {
      const app = await verifyAuthenticatorCode(db, userId, answer);
      if (app.ok) return app;
      const token = await verifyHardwareTokenCode(db, userId, answer);
      if (token.ok) return token;
      const replayed = app.reason === "replayed_code" || token.reason === "replayed_code";
      return { ok: false, reason: replayed ? "replayed_code" : "wrong_answer" };
    },
  },
  sms: {
    normalise: normaliseOtp,
    check: async (db, _userId, answer, { binding, methodId }) =>
      held(methodId !== null && (await checkTextCode(db, binding, { methodId }, answer))),
  },
  // The answer is the id of the call that was approved with "#".
  voice: {
    normalise: (input) => (isUuid(input) ? input : null),
    check: async (db, _userId, answer, { binding, methodId }) =>
      held(methodId !== null && (await consumeApprovedCall(db, binding, answer)) === methodId),
  },
  // The answer is the id of the push request the phone approved with the right number (R-A6).
  push: {
    normalise: (input) => (isUuid(input) ? input : null),
    check: async (db, _userId, answer, { binding, pushPurpose }) =>
      held(
        binding.transactionId !== null &&
          (await consumeApprovedPush(
            db,
            {
              userId: binding.userId,
              transactionId: binding.transactionId,
              purpose: pushPurpose ?? "second_factor",
            },
            answer,
          )) !== null,
      ),
  },
  // The answer is the browser's JSON assertion, for a challenge bound to this transaction (R-A7).
  passkey: {
    normalise: (input) => (input.startsWith("{") && input.length <= 32_000 ? input : null),
    check: async (db, userId, answer, { binding, request }) =>
      held(
        (
          await verifyPasskeySecondFactor(
            db,
            { userId, transactionId: binding.transactionId },
            answer,
            request,
          )
        ).ok,
      ),
  },
  "recovery-code": {
    normalise: (input) => input.trim().slice(0, 64) || null,
    check: async (db, userId, answer) => held(await consumeRecoveryCode(db, userId, answer)),
  },
};

/**
 * Checks and consumes one answer without the second step's counters or records, for a caller
 * that keeps its own: a password reset, which must not let someone without the password pause
 * the account's sign-in. A code so used cannot be used again anywhere.
 */
export async function checkSecondFactorAnswer(
  tx: Executor,
  userId: string,
  option: SignInOptionId,
  input: string,
  target: { binding: ChallengeBinding; methodId: string | null; request: RequestContext },
): Promise<boolean> {
  const answer = VERIFIERS[option].normalise(input);
  return answer !== null && (await VERIFIERS[option].check(tx, userId, answer, target)).ok;
}

export type SecondFactorResult =
  | { ok: true; amr: string }
  | { ok: false; reason: "invalid" | "format"; waitSeconds: number | null };

/** Exactly six digits once spaces are removed (R-A4.7); anything but one string is no code. */
export function normaliseOtp(input: unknown): string | null {
  if (typeof input !== "string") return null;
  const digits = input.replace(/\s/g, "");
  return /^\d{6}$/.test(digits) ? digits : null;
}

/** The longest pause in force, counted by the database that keeps it; null when none. */
function waitSeconds(states: { secondsLeft: number }[]): number | null {
  const seconds = Math.max(0, ...states.map((state) => state.secondsLeft));
  return seconds > 0 ? seconds : null;
}

/**
 * Verifies a second factor for a user, counted per account and per option in the database
 * (R-A11.2–11.3). While paused, even a right code is refused with the same answer (R-A11.5).
 * Every outcome is audited; replays, lockouts and recovery-code use are told to the user.
 */
export async function verifySecondFactor(
  db: Db,
  user: SecondFactorUser,
  option: SignInOptionId,
  input: string,
  context: SecondFactorContext,
): Promise<SecondFactorResult> {
  const optionKey = `${user.id}:${option}`;
  const audit = {
    actorId: user.id,
    subjectId: user.id,
    ip: context.ip,
    userAgent: context.userAgent,
  };
  const [account, perOption, origin] = await Promise.all([
    getThrottle(db, "mfa:account", user.id),
    getThrottle(db, "mfa:option", optionKey),
    lookupOrigin(context),
  ]);
  // A failed second factor is a sign-in event, written with its outcome (R-A14.1).
  const failureEvent = (tx: Executor, reason: "locked" | "mfa_failed" | "replayed_code") =>
    context.purpose === "enrol"
      ? Promise.resolve()
      : recordSignInEvent(
          tx,
          {
            userId: user.id,
            result: "failure",
            reason,
            methods: [
              ...(context.purpose === "sign_in" ? ["pwd"] : []),
              SIGN_IN_OPTIONS[option].amr,
            ],
            origin,
            app: context.app,
          },
          context,
        ).then(() => undefined);
  type Throttle = Awaited<ReturnType<typeof getThrottle>>;
  // While paused, even a right answer is refused with the same reply (R-A11.5).
  const paused = async (tx: Executor, states: Throttle[]): Promise<SecondFactorResult> => {
    await writeAudit(tx, {
      action: "auth.mfa.failed",
      outcome: "denied",
      ...audit,
      details: { option, reason: "paused" },
    });
    await failureEvent(tx, "locked");
    return {
      ok: false,
      reason: "invalid",
      waitSeconds: waitSeconds(states),
    };
  };
  // Recovery must stay usable when the other ways are paused (R-A11.6): recovery codes answer
  // only to their own counter (80 bits each: guessing them is hopeless anyway).
  const accountApplies = option !== "recovery-code";
  const applicable = (states: [Throttle, Throttle]) => (accountApplies ? states : [states[1]]);
  if (applicable([account, perOption]).some((state) => state.locked)) {
    return db.transaction((tx) => paused(tx, applicable([account, perOption])));
  }

  const code = VERIFIERS[option].normalise(input);
  return db.transaction(async (tx) => {
    // One answer at a time per person: parallel guesses wait for each other and see the pause
    // the one before may have started, so a burst cannot outrun the count (R-A11.3).
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`mfa:${user.id}`}))`);
    const current = applicable(
      await Promise.all([
        getThrottle(tx, "mfa:account", user.id),
        getThrottle(tx, "mfa:option", optionKey),
      ]),
    );
    if (current.some((state) => state.locked)) return paused(tx, current);
    const checked: AnswerCheck = code
      ? await VERIFIERS[option].check(tx, user.id, code, {
          binding: {
            userId: user.id,
            purpose: context.purpose,
            transactionId: context.transactionId ?? null,
          },
          methodId: context.methodId ?? null,
          pushPurpose: context.pushPurpose,
          request: { ip: context.ip, userAgent: context.userAgent },
        })
      : { ok: false, reason: "wrong_answer" };
    if (checked.ok) {
      await resetThrottle(tx, "mfa:account", user.id);
      await resetThrottle(tx, "mfa:option", optionKey);
      await writeAudit(tx, {
        action: "auth.mfa.succeeded",
        outcome: "success",
        ...audit,
        details: { option, purpose: context.purpose },
      });
      if (option === "recovery-code") {
        const left = await countRecoveryCodes(tx, user.id);
        await queueSecurityNotice(
          tx,
          user,
          "recovery_code.used",
          context,
          `${left} of ${RECOVERY_CODE_COUNT} codes are left.`,
        );
      }
      return { ok: true, amr: SIGN_IN_OPTIONS[option].amr };
    }

    // Every wrong answer counts, a repeated one too: a code that was wrong a minute ago is a new
    // guess against the current time-step (R-A11.1).
    const accountState = await recordFailure(
      tx,
      "mfa:account",
      user.id,
      mfaAccountThrottlePolicy(),
    );
    const optionState = await recordFailure(tx, "mfa:option", optionKey, mfaThrottlePolicy());
    const replay = checked.reason === "replayed_code";
    await writeAudit(tx, {
      action: replay ? "auth.mfa.replay" : "auth.mfa.failed",
      outcome: "failure",
      ...audit,
      details: {
        option,
        reason: code ? "wrong_code" : "malformed",
        failures: accountState.failures,
      },
    });
    await failureEvent(tx, replay ? "replayed_code" : "mfa_failed");
    if (replay) await queueSecurityNotice(tx, user, "mfa.replay", context);
    // Someone got past the password: the owner hears it at the first wrong answer of a run, not
    // at every one (R-A15.1).
    else if (context.purpose === "sign_in" && accountState.counted && accountState.failures === 1)
      await queueSecurityNotice(tx, user, "mfa.failed", context);
    if ((accountState.lockStarted || optionState.lockStarted) && accountState.failures % 10 === 0) {
      await writeAudit(tx, {
        action: "auth.mfa.locked_out",
        outcome: "denied",
        ...audit,
        details: { option },
      });
      await queueSecurityNotice(tx, user, "mfa.locked", context);
    }
    return {
      ok: false,
      reason: code ? "invalid" : "format",
      waitSeconds: waitSeconds([accountState, optionState]),
    };
  });
}
