import { sql } from "drizzle-orm";
import { writeAudit } from "@/lib/audit/log";
import { mfaThrottlePolicy } from "@/lib/settings/policy";
import { recordSecondFactor, type BrowserState } from "@/lib/auth/sign-in";
import type { RequestContext } from "@/lib/types/request";
import type { SignInTransaction } from "@/lib/auth/sign-in-transaction";
import type { Db, Executor } from "@/lib/db/client";
import { queueSecurityNotice } from "@/lib/notify/security-notice";
import { getThrottle, recordFailure, resetThrottle } from "@/lib/security/throttle";
import { refused, type Activation, type EnrolmentResult } from "@/lib/mfa/enrolment-result";
import { SIGN_IN_OPTIONS, type MethodKind, type SignInOptionId } from "@/lib/mfa/registry";

// Adding a sign-in method. Each kind begins and confirms in its own module, answering with an
// EnrolmentResult (./enrolment-result.ts); confirmEnrolment owns what surrounds every
// confirmation: the throttle, one transaction with the audit record and the notice, and
// mid-sign-in the second factor the new method counts as (R-A9.2). Whether the person may enrol
// at all is the caller's to check (getRegistrant: a sign-in at registration or a fresh session,
// R-A9.1), as is every id it takes; each kind's confirm step looks ids up within the person's own.

/** Who enrols: a registrant (lib/auth/registrant.ts) the caller has let through. */
export type Enrolee = {
  user: { id: string; email: string; displayName: string };
  /** Mid-sign-in, the sign-in the new method also passes as its second factor (R-A9.2). */
  transaction?: { transaction: SignInTransaction };
};

/** How a new method proves itself: the sign-in option it answers, which names its amr. */
export type EnrolmentProof = Extract<SignInOptionId, "code" | "sms" | "voice" | "passkey">;

/** A typed code can be guessed, so wrong ones count (R-A11); an answered call or a passkey cannot. */
const GUESSABLE: ReadonlySet<EnrolmentProof> = new Set(["code", "sms"]);

export type EnrolmentConfirmation<A, T extends Activation> = {
  enrolee: Enrolee;
  kind: MethodKind;
  proof: EnrolmentProof;
  /** The answer as the kind's confirm step takes it, or null when it cannot be one. */
  answer: A | null;
  /** The kind's confirm step: checks the answer and activates the method, in this transaction. */
  confirm: (tx: Executor, answer: A) => Promise<EnrolmentResult<T>>;
  context: RequestContext;
  /** What this browser remembers; needed only mid-sign-in, for the second factor. */
  browser?: BrowserState;
  /**
   * An agent confirming for the person (a token the holder reads the code of): the record names
   * the agent and the reason, and the notice says the helpdesk did it (R-A16.2).
   */
  agent?: { id: string; reason: string; ticket: string | null };
};

/**
 * Confirms an enrolment in one transaction: the kind's check, then the audit record and the
 * notice (R-A9.3) and, mid-sign-in, the second factor — or none of them. Wrong and malformed
 * codes are counted per person across every kind (R-A11.3); while paused, nothing is checked.
 * A refusal of an answer that cannot be guessed (a call, a passkey) is audited instead.
 */
export async function confirmEnrolment<A, T extends Activation>(
  db: Db,
  enrolment: EnrolmentConfirmation<A, T>,
): Promise<EnrolmentResult<T>> {
  const { enrolee, kind, proof, answer, context } = enrolment;
  const { user } = enrolee;
  const counted = GUESSABLE.has(proof);
  const throttleKey = `${user.id}:enrol`;
  return db.transaction(async (tx) => {
    if (counted) {
      // One answer at a time per person: parallel guesses see each other's count (R-A11.3).
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`enrol:${user.id}`}))`);
      const throttle = await getThrottle(tx, "mfa:option", throttleKey);
      if (throttle.locked) {
        return {
          ok: false,
          reason: "throttled",
          retryAfterSeconds: throttle.secondsLeft,
        };
      }
    }
    const result = answer === null ? refused("malformed") : await enrolment.confirm(tx, answer);
    if (!result.ok) {
      // The kind's own bookkeeping (a spent challenge, a code's failure count) is kept.
      if (counted && (result.reason === "wrong_code" || result.reason === "malformed")) {
        await recordFailure(tx, "mfa:option", throttleKey, mfaThrottlePolicy());
      } else if (!counted) {
        await writeAudit(tx, {
          action: "mfa.method.added",
          outcome: "failure",
          actorId: user.id,
          subjectId: user.id,
          ...context,
          details: { kind, reason: result.reason },
        });
      }
      return result;
    }
    const { audit, notice } = result.value;
    const { agent } = enrolment;
    if (counted) await resetThrottle(tx, "mfa:option", throttleKey);
    await writeAudit(tx, {
      action: audit.action,
      outcome: "success",
      actorId: agent?.id ?? user.id,
      subjectId: user.id,
      ...context,
      details: agent
        ? { ...audit.details, reason: agent.reason, ticket: agent.ticket }
        : audit.details,
    });
    await queueSecurityNotice(
      tx,
      user,
      notice.event,
      context,
      agent ? `${notice.detail}, activated by the helpdesk` : notice.detail,
      notice.options,
    );
    // The first method, bound mid-sign-in, is also this sign-in's second factor (R-A9.2); a
    // backup added after it changes nothing in the sign-in.
    if (enrolee.transaction?.transaction.stage === "registration") {
      if (!enrolment.browser) throw new Error("a second factor needs the browser's state");
      const stage = await recordSecondFactor(
        tx,
        enrolee.transaction.transaction,
        "registration",
        SIGN_IN_OPTIONS[proof].amr,
        enrolment.browser,
      );
      if (!stage) throw new Error("sign-in transaction moved on during registration");
    }
    return result;
  });
}
