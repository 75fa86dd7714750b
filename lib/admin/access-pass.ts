import { createHmac, randomInt } from "node:crypto";
import { and, desc, eq, gt, isNull, or, sql } from "drizzle-orm";
import { assessSignInRisk } from "@/lib/activity/risk";
import { lookupOrigin, recordSignInEvent } from "@/lib/activity/sign-in-events";
import { writeAudit } from "@/lib/audit/log";
import { accessPassLifetimes, passwordThrottlePolicies } from "@/lib/settings/policy";
import { beginSignInTransaction } from "@/lib/auth/sign-in-transaction";
import { emailMatches } from "@/lib/auth/users";
import type { Db, Executor } from "@/lib/db/client";
import { temporaryAccessPasses, users } from "@/lib/db/schema";
import { getSecrets } from "@/lib/env";
import { getThrottle, recordFailure, resetThrottle } from "@/lib/security/throttle";
import { hashToken, safeEqual } from "@/lib/security/tokens";
import { ACCESS_PASS_MIN_MINUTES } from "@/lib/settings/store";
import type { RequestContext } from "@/lib/types/request";

// Temporary Access Passes (R-A10, docs/decisions/0009-temporary-access-pass.md). A pass is 20
// Crockford base32 characters (100 bits from a CSPRNG), read aloud or typed in groups of four;
// only its HMAC is stored. At sign-in it stands in for both password and second factor, but only
// to reach the registration wizard: the session comes once a method is registered and used.

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
export const ACCESS_PASS_LENGTH = 20;

/** Shown as XXXX-XXXX-XXXX-XXXX-XXXX. */
export function formatAccessPass(pass: string): string {
  return pass.match(/.{1,4}/g)!.join("-");
}

/** Case-insensitive, spaces and hyphens ignored, Crockford's I/L→1 and O→0. */
export function normaliseAccessPass(input: string): string | null {
  const cleaned = input
    .toUpperCase()
    .replace(/[\s-]/g, "")
    .replace(/[IL]/g, "1")
    .replace(/O/g, "0");
  return cleaned.length === ACCESS_PASS_LENGTH && [...cleaned].every((c) => CROCKFORD.includes(c))
    ? cleaned
    : null;
}

function newPass(): string {
  let pass = "";
  for (let i = 0; i < ACCESS_PASS_LENGTH; i++) pass += CROCKFORD[randomInt(CROCKFORD.length)];
  return pass;
}

/**
 * How a pass is stored: HMAC-SHA-256 keyed with the server secret. A pass has 100 bits, so a
 * fast keyed hash is enough (R-A3.5); without the key a leaked table cannot even be guessed at.
 */
function hashPass(pass: string): string {
  return createHmac("sha256", getSecrets().authSecret).update(`tap:${pass}`).digest("hex");
}

export class AccessPassLifetimeError extends Error {}

export type IssuedAccessPass = {
  id: string;
  /** The pass, formatted for reading aloud: shown to the agent once, stored nowhere. */
  pass: string;
  expiresAt: Date;
  oneTime: boolean;
};

/**
 * Issues a pass for a person in the caller's transaction, revoking any pass they still had (one
 * active pass per person, R-A10.2). The lifetime defaults to the policy's and must lie between 10
 * minutes and the policy's maximum. The caller audits and notifies (recordAgentAction).
 */
export async function issueAccessPass(
  tx: Executor,
  input: { userId: string; issuedBy: string; lifetimeMinutes?: number; oneTime?: boolean },
): Promise<IssuedAccessPass> {
  const { defaultMinutes, maxMinutes } = accessPassLifetimes();
  const minutes = input.lifetimeMinutes ?? defaultMinutes;
  if (!Number.isInteger(minutes) || minutes < ACCESS_PASS_MIN_MINUTES || minutes > maxMinutes) {
    throw new AccessPassLifetimeError(
      `A pass lasts from ${ACCESS_PASS_MIN_MINUTES} to ${maxMinutes} minutes.`,
    );
  }
  await revokeAccessPasses(tx, input.userId);
  const pass = newPass();
  const oneTime = input.oneTime ?? true;
  const [row] = await tx
    .insert(temporaryAccessPasses)
    .values({
      userId: input.userId,
      passHash: hashPass(pass),
      issuedBy: input.issuedBy,
      oneTime,
      expiresAt: new Date(Date.now() + minutes * 60_000),
    })
    .returning({ id: temporaryAccessPasses.id, expiresAt: temporaryAccessPasses.expiresAt });
  return { id: row!.id, pass: formatAccessPass(pass), expiresAt: row!.expiresAt, oneTime };
}

/** Revokes a person's passes that could still be used; returns how many. */
export async function revokeAccessPasses(tx: Executor, userId: string): Promise<number> {
  const revoked = await tx
    .update(temporaryAccessPasses)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(temporaryAccessPasses.userId, userId), usable()))
    .returning({ id: temporaryAccessPasses.id });
  return revoked.length;
}

/** Not revoked, not expired, and — when one-time — not used. */
function usable() {
  return and(
    isNull(temporaryAccessPasses.revokedAt),
    gt(temporaryAccessPasses.expiresAt, sql`now()`),
    or(eq(temporaryAccessPasses.oneTime, false), isNull(temporaryAccessPasses.usedAt)),
  );
}

export type AccessPassStatus = {
  id: string;
  createdAt: Date;
  expiresAt: Date;
  oneTime: boolean;
  issuedBy: string | null;
};

/** The person's pass that can still be used, for the agent's view — never the pass itself. */
export async function getActiveAccessPass(
  db: Executor,
  userId: string,
): Promise<AccessPassStatus | null> {
  const [row] = await db
    .select({
      id: temporaryAccessPasses.id,
      createdAt: temporaryAccessPasses.createdAt,
      expiresAt: temporaryAccessPasses.expiresAt,
      oneTime: temporaryAccessPasses.oneTime,
      issuedBy: temporaryAccessPasses.issuedBy,
    })
    .from(temporaryAccessPasses)
    .where(and(eq(temporaryAccessPasses.userId, userId), usable()))
    .orderBy(desc(temporaryAccessPasses.createdAt))
    .limit(1);
  return row ?? null;
}

/**
 * Spends a pass: one conditional UPDATE, so a one-time pass submitted twice — in parallel, from
 * two browsers — works exactly once. Returns the pass id, or null.
 */
async function consumePass(tx: Executor, userId: string, pass: string): Promise<string | null> {
  const candidates = await tx
    .select({ id: temporaryAccessPasses.id, passHash: temporaryAccessPasses.passHash })
    .from(temporaryAccessPasses)
    .where(and(eq(temporaryAccessPasses.userId, userId), usable()));
  const digest = hashPass(pass);
  const match = candidates.find((c) => safeEqual(c.passHash, digest));
  if (!match) return null;
  const [spent] = await tx
    .update(temporaryAccessPasses)
    .set({ usedAt: sql`now()` })
    .where(and(eq(temporaryAccessPasses.id, match.id), usable()))
    .returning({ id: temporaryAccessPasses.id });
  return spent?.id ?? null;
}

export type AccessPassSignInResult = { ok: false } | { ok: true; transactionToken: string };

/**
 * "Use a Temporary Access Pass": checks the email and pass and, when right, starts a sign-in at
 * the registration stage with methods ["tap"] — the person goes straight to the wizard, and only
 * registering (and so using) a method finishes the sign-in (R-A10.3, R-A9.2). Unknown account,
 * wrong, expired, used or revoked pass, disabled account and a paused step all give the same
 * `{ ok: false }` (R-A18.1, R-A11.5); the difference is only in the audit log. Failures are
 * counted per account and per address like the password step's (R-A11.2).
 */
export async function signInWithAccessPass(
  db: Db,
  input: { email: string; pass: string; callbackPath: string },
  context: RequestContext,
): Promise<AccessPassSignInResult> {
  const email = input.email.trim().toLowerCase();
  const ipKey = context.ip ?? "unknown";
  const policies = passwordThrottlePolicies();
  const [[user], accountThrottle, ipThrottle, origin] = await Promise.all([
    db.select({ id: users.id, status: users.status }).from(users).where(emailMatches(email)),
    getThrottle(db, "access_pass:account", email),
    getThrottle(db, "password:ip", ipKey),
    lookupOrigin(context),
  ]);
  const pass = normaliseAccessPass(input.pass);
  const audit = { subjectId: user?.id ?? null, ip: context.ip, userAgent: context.userAgent };
  const failureEvent = (reason: "locked" | "access_pass_refused") => ({
    userId: user?.id ?? null,
    result: "failure" as const,
    reason,
    methods: ["tap"],
    origin,
  });

  if (accountThrottle.locked || ipThrottle.locked) {
    await db.transaction(async (tx) => {
      await writeAudit(tx, {
        action: "auth.access_pass.failed",
        outcome: "denied",
        ...audit,
        details: { reason: accountThrottle.locked ? "account_locked" : "address_locked", email },
      });
      await recordSignInEvent(tx, failureEvent("locked"), context);
    });
    return { ok: false };
  }

  const token = await db.transaction(async (tx) => {
    const passId =
      user && user.status === "active" && pass ? await consumePass(tx, user.id, pass) : null;
    if (!user || !passId) return null;
    await resetThrottle(tx, "access_pass:account", email);
    const risk = await assessSignInRisk(tx, {
      userId: user.id,
      at: new Date(),
      intel: origin.intel,
    });
    const transactionToken = await beginSignInTransaction(tx, {
      userId: user.id,
      purpose: "sign_in",
      stage: "registration",
      methods: ["tap"],
      callbackPath: input.callbackPath,
      ip: context.ip,
      userAgent: context.userAgent,
    });
    await recordSignInEvent(
      tx,
      {
        userId: user.id,
        result: "interrupted",
        reason: "registration_abandoned",
        methods: ["tap"],
        transactionId: hashToken(transactionToken),
        risk,
        origin,
      },
      context,
    );
    await writeAudit(tx, {
      action: "auth.access_pass.used",
      outcome: "success",
      actorId: user.id,
      ...audit,
      details: { passId },
    });
    return transactionToken;
  });
  if (token) return { ok: true, transactionToken: token };

  const reason = !user
    ? "unknown_account"
    : user.status !== "active"
      ? "account_disabled"
      : pass
        ? "wrong_or_spent_pass"
        : "malformed_pass";
  // A pass is a one-time secret: every wrong one counts, a repeated one too (R-A11.1).
  await db.transaction(async (tx) => {
    const account = await recordFailure(tx, "access_pass:account", email, policies.account);
    await recordFailure(tx, "password:ip", ipKey, policies.ip);
    await writeAudit(tx, {
      action: "auth.access_pass.failed",
      outcome: "failure",
      ...audit,
      details: { reason, email, failures: account.failures },
    });
    await recordSignInEvent(tx, failureEvent("access_pass_refused"), context);
  });
  return { ok: false };
}
