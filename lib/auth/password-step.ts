import { appOfCallback } from "@/lib/apps/registry";
import type { RequestContext } from "@/lib/types/request";
import { assessSignInRisk } from "@/lib/activity/risk";
import {
  isRisky,
  lookupOrigin,
  recordSignInEvent,
  type SignInEventReason,
} from "@/lib/activity/sign-in-events";
import type { Db, Executor } from "@/lib/db/client";
import { getMethodSummary } from "@/lib/mfa/methods";
import { findRememberedBrowser } from "@/lib/mfa/remembered-browser";
import { hashToken } from "@/lib/security/tokens";
import { completeDueAccountRecovery } from "./account-recovery";
import { checkPassword, isDirectoryHold, type RefusalCause } from "./password-gate";
import { mfaRequiredFor, rememberMfaDays } from "@/lib/settings/policy";
import {
  PENDING_REASON,
  REMEMBERED_BROWSER_AMR,
  respondToRisk,
  stageAfterFactors,
  type BrowserState,
  type PasswordStepResult,
} from "./sign-in";
import { beginSignInTransaction, type SignInStage } from "./sign-in-transaction";
import { clock } from "@/lib/clock";

/**
 * The stage after the password, from the user's methods as they are now (R-A1.5): the second
 * factor when they have any method (unless this browser is remembered and the sign-in is not
 * risky, R-A1.8), registration when MFA is required and they have none. A method that cannot be
 * used now (a phone while texts cannot be delivered) still means a second factor is needed: the
 * second step then tells the person why they cannot go on.
 */
async function planAfterPassword(
  db: Executor,
  user: { id: string; mfaRequired: boolean },
  browser: BrowserState,
  risky: boolean,
): Promise<{
  stage: SignInStage;
  persistent: boolean;
  methods: string[];
  rememberedBrowserId: string | null;
}> {
  const [{ registered, methods }, rememberedBrowserId] = await Promise.all([
    getMethodSummary(db, user.id),
    findRememberedBrowser(db, user.id, browser.rememberedToken),
  ]);
  const plan = (next: { stage: SignInStage; persistent: boolean }, amr: string[]) => ({
    ...next,
    methods: amr,
    rememberedBrowserId,
  });
  if (registered.length > 0) {
    // A remembered browser stands in for a usable method only: it cannot revive one that policy
    // now keeps out (a phone for an agent, texts that cannot be delivered).
    if (methods.length > 0 && !risky && rememberMfaDays() > 0 && rememberedBrowserId) {
      return plan(stageAfterFactors(browser, risky), ["pwd", REMEMBERED_BROWSER_AMR]);
    }
    return plan({ stage: "second_factor", persistent: false }, ["pwd"]);
  }
  if (mfaRequiredFor(user)) return plan({ stage: "registration", persistent: false }, ["pwd"]);
  return plan(stageAfterFactors(browser, risky), ["pwd"]);
}

/** The sign-in event of a refused password step. */
function failureReason({
  locked,
  cause,
}: {
  locked: boolean;
  cause: RefusalCause;
}): SignInEventReason {
  if (locked) return "locked";
  if (cause === "directory_unavailable") return cause;
  if (isDirectoryHold(cause)) return "directory_refused";
  return cause === "unknown_account" || cause === "account_disabled" ? cause : "wrong_password";
}

/**
 * The password step (first factor). Unknown account, wrong password, disabled account and a
 * locked step all give the same `{ ok: false }` after the same amount of hashing work (R-A18.1,
 * R-A11.5); the difference is only in the audit log. A `notice` tells what anyone may hear —
 * the directory did not answer — or, after the right password only, why the directory held
 * the account back.
 */
export async function verifyPasswordStep(
  db: Db,
  input: { email: string; password: string; callbackPath: string },
  context: RequestContext,
  browser: BrowserState = { stayChoice: null },
): Promise<PasswordStepResult> {
  const origin = await lookupOrigin(context);
  // A sign-in an app asked for is recorded, and told about, as a sign-in to that app.
  const found = await appOfCallback(db, input.callbackPath);
  const app = found ? { name: found.name, clientId: found.clientId } : undefined;
  const checked = await checkPassword(db, {
    account: { email: input.email },
    password: input.password,
    context,
    purpose: "sign_in",
    // Every attempt is a sign-in event, written with its outcome (R-A14.1); an unknown email has
    // no user and is kept only for the password-spray rule.
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
    // Risk is judged once the password is right; it may add friction, never remove a factor
    // (R-A14.6, R-A1.8). The sign-in's event carries it to the later steps.
    prepare: async (user) => {
      const risk = await assessSignInRisk(db, {
        userId: user.id,
        at: clock.now(),
        intel: origin.intel,
      });
      // A recovery that has waited its time completes at this password: the old methods go and
      // this sign-in continues to registration (docs/decisions/0023).
      const recovered = await completeDueAccountRecovery(db, user.id, context);
      const account = recovered ? { ...user, mfaRequired: true } : user;
      return { risk, plan: await planAfterPassword(db, account, browser, isRisky(risk.level)) };
    },
    complete: async (tx, { user, prepared: { risk, plan } }) => {
      const token = await beginSignInTransaction(tx, {
        userId: user.id,
        purpose: "sign_in",
        stage: plan.stage,
        methods: plan.methods,
        persistent: plan.persistent,
        rememberedBrowserId: plan.rememberedBrowserId,
        callbackPath: input.callbackPath,
        ip: context.ip,
        userAgent: context.userAgent,
      });
      // Recorded as interrupted until the sign-in finishes, so an abandoned one stays visible.
      await recordSignInEvent(
        tx,
        {
          userId: user.id,
          result: "interrupted",
          reason: PENDING_REASON[plan.stage],
          methods: plan.methods,
          transactionId: hashToken(token),
          risk,
          origin,
          app,
        },
        context,
      );
      if (isRisky(risk.level)) await respondToRisk(tx, user, risk, context, origin, app?.name);
      return { token, plan };
    },
  });
  if (!checked.ok) {
    // Only the one who typed the right password hears why the directory held it back.
    if (checked.reason === "held") return { ok: false, notice: checked.hold };
    if (checked.reason === "unavailable") return { ok: false, notice: "unavailable" };
    return { ok: false };
  }
  const { token, plan } = checked.value;
  return { ok: true, transactionToken: token, stage: plan.stage, persistent: plan.persistent };
}
