import { eq } from "drizzle-orm";
import { writeAudit } from "@/lib/audit/log";
import type { Db } from "@/lib/db/client";
import { users } from "@/lib/db/schema";
import { getSecrets } from "@/lib/env";
import { fingerprint } from "@/lib/security/tokens";
import { getThrottle, recordFailure, resetThrottle } from "@/lib/security/throttle";
import { hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from "./password";
import { passwordThrottlePolicies, STAY_SIGNED_IN_OFFERED } from "./policy";
import { createSession } from "./sessions";
import {
  advanceSignInTransaction,
  beginSignInTransaction,
  consumeSignInTransaction,
  type SignInStage,
  type SignInTransaction,
} from "./sign-in-transaction";
import { emailMatches } from "./users";

/** Where the browser goes for each stage still waiting for the person; `ready` finishes at once. */
export const STAGE_PATHS: Record<Exclude<SignInStage, "ready">, string> = {
  second_factor: "/signin/verify",
  registration: "/signin/more-information",
  stay_signed_in: "/signin/stay-signed-in",
};

export type RequestContext = { ip: string | null; userAgent: string | null };

export type PasswordStepResult =
  { ok: false } | { ok: true; transactionToken: string; stage: SignInStage };

type SignInUser = { id: string; staySignedInChoice: boolean | null };

/**
 * The stage after the password. The second-factor and registration stages are decided here once
 * methods exist; until then every account goes on to "Stay signed in?" or straight to ready.
 */
function stageAfterPassword(user: SignInUser): SignInStage {
  if (STAY_SIGNED_IN_OFFERED && user.staySignedInChoice === null) return "stay_signed_in";
  return "ready";
}

/**
 * The password step (first factor). Unknown account, wrong password, disabled account and a
 * locked step all give the same `{ ok: false }` after the same amount of hashing work (R-A18.1,
 * R-A11.5); the difference is only in the audit log.
 */
export async function verifyPasswordStep(
  db: Db,
  input: { email: string; password: string; callbackPath: string },
  context: RequestContext,
): Promise<PasswordStepResult> {
  const email = input.email.trim().toLowerCase();
  const ipKey = context.ip ?? "unknown";
  const policies = passwordThrottlePolicies();

  const [[user], accountThrottle, ipThrottle] = await Promise.all([
    db
      .select({
        id: users.id,
        status: users.status,
        passwordHash: users.passwordHash,
        staySignedInChoice: users.staySignedInChoice,
      })
      .from(users)
      .where(emailMatches(email)),
    getThrottle(db, "password:account", email),
    getThrottle(db, "password:ip", ipKey),
  ]);

  const audit = { subjectId: user?.id ?? null, ip: context.ip, userAgent: context.userAgent };

  if (accountThrottle.locked || ipThrottle.locked) {
    await verifyAgainstDummy(input.password);
    await writeAudit(db, {
      action: "auth.sign_in.failed",
      outcome: "denied",
      ...audit,
      details: { reason: accountThrottle.locked ? "account_locked" : "address_locked", email },
    });
    return { ok: false };
  }

  const passwordOk = user?.passwordHash
    ? await verifyPassword(user.passwordHash, input.password)
    : await verifyAgainstDummy(input.password);

  if (!user || !passwordOk || user.status !== "active") {
    const reason = !user ? "unknown_account" : !passwordOk ? "wrong_password" : "account_disabled";
    const secret = fingerprint(getSecrets().authSecret, "password", email, input.password);
    await db.transaction(async (tx) => {
      const account = await recordFailure(tx, "password:account", email, secret, policies.account);
      const address = await recordFailure(tx, "password:ip", ipKey, secret, policies.ip);
      await writeAudit(tx, {
        action: "auth.sign_in.failed",
        outcome: "failure",
        ...audit,
        details: { reason, email, failures: account.failures },
      });
      if (account.lockStarted || address.lockStarted) {
        await writeAudit(tx, {
          action: "auth.sign_in.locked_out",
          outcome: "denied",
          ...audit,
          details: {
            scope: account.lockStarted ? "account" : "address",
            email,
            until: (account.lockStarted ? account.lockedUntil : address.lockedUntil)!.toISOString(),
          },
        });
      }
    });
    return { ok: false };
  }

  const stage = stageAfterPassword(user);
  const rehash = needsRehash(user.passwordHash!) ? await hashPassword(input.password) : null;
  const transactionToken = await db.transaction(async (tx) => {
    await resetThrottle(tx, "password:account", email);
    if (rehash) await tx.update(users).set({ passwordHash: rehash }).where(eq(users.id, user.id));
    return beginSignInTransaction(tx, {
      userId: user.id,
      stage,
      methods: ["pwd"],
      callbackPath: input.callbackPath,
      ip: context.ip,
      userAgent: context.userAgent,
    });
  });
  return { ok: true, transactionToken, stage };
}

/** "Stay signed in?" answered: remembers the answer if asked to and makes the sign-in ready. */
export async function answerStaySignedIn(
  db: Db,
  transaction: SignInTransaction,
  answer: { staySignedIn: boolean; dontShowAgain: boolean },
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const moved = await advanceSignInTransaction(tx, transaction.id, "stay_signed_in", "ready", {
      persistent: answer.staySignedIn,
    });
    if (moved && answer.dontShowAgain) {
      await tx
        .update(users)
        .set({ staySignedInChoice: answer.staySignedIn })
        .where(eq(users.id, transaction.userId));
    }
    return moved;
  });
}

/**
 * Turns a ready transaction into a session — the only place a session is created. Consuming the
 * transaction and creating the session and its audit record happen in one database transaction.
 * Returns the new session's token, or null if the transaction was not ready.
 */
export async function completeSignIn(
  db: Db,
  transactionToken: string,
  context: RequestContext,
): Promise<string | null> {
  return db.transaction(async (tx) => {
    const transaction = await consumeSignInTransaction(tx, transactionToken);
    if (!transaction) return null;
    const [user] = await tx
      .select({ status: users.status, staySignedInChoice: users.staySignedInChoice })
      .from(users)
      .where(eq(users.id, transaction.userId));
    if (!user || user.status !== "active") return null;
    const persistent = transaction.persistent || user.staySignedInChoice === true;
    const sessionToken = await createSession(tx, {
      userId: transaction.userId,
      aal: transaction.secondFactorAt ? 2 : 1,
      methods: transaction.methods,
      authenticatedAt: transaction.createdAt,
      secondFactorAt: transaction.secondFactorAt,
      persistent,
      ip: context.ip,
      userAgent: context.userAgent,
    });
    await writeAudit(tx, {
      action: "auth.sign_in.succeeded",
      outcome: "success",
      subjectId: transaction.userId,
      actorId: transaction.userId,
      ip: context.ip,
      userAgent: context.userAgent,
      details: { methods: transaction.methods.join(" "), persistent },
    });
    return sessionToken;
  });
}
