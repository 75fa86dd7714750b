import { createHmac, randomInt } from "node:crypto";
import { and, desc, eq, gt, isNull, or, sql } from "drizzle-orm";
import { assessSignInRisk } from "@/lib/activity/risk";
import { lookupOrigin, recordSignInEvent } from "@/lib/activity/sign-in-events";
import { writeAudit } from "@/lib/audit/log";
import { checkPassword, type Secret } from "@/lib/auth/password-gate";
import { accessPassLifetimes } from "@/lib/settings/policy";
import { beginSignInTransaction } from "@/lib/auth/sign-in-transaction";
import type { Db, Executor } from "@/lib/db/client";
import { temporaryAccessPasses } from "@/lib/db/schema";
import { getSecrets } from "@/lib/env";
import { hashToken, safeEqual } from "@/lib/security/tokens";
import { ACCESS_PASS_MIN_MINUTES } from "@/lib/settings/store";
import type { RequestContext } from "@/lib/types/request";
import type { Result } from "@/lib/types/result";
import { clock } from "@/lib/clock";
import { databaseNowPlus } from "@/lib/db/time";

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
 * minutes and the policy's maximum, else nothing changes. The caller audits and notifies
 * (recordAgentAction).
 */
export async function issueAccessPass(
  tx: Executor,
  input: { userId: string; issuedBy: string; lifetimeMinutes?: number; oneTime?: boolean },
): Promise<Result<IssuedAccessPass, "lifetime_out_of_range", { message: string }>> {
  const { defaultMinutes, maxMinutes } = accessPassLifetimes();
  const minutes = input.lifetimeMinutes ?? defaultMinutes;
  if (!Number.isInteger(minutes) || minutes < ACCESS_PASS_MIN_MINUTES || minutes > maxMinutes) {
    return {
      ok: false,
      reason: "lifetime_out_of_range",
      message: `A pass lasts from ${ACCESS_PASS_MIN_MINUTES} to ${maxMinutes} minutes.`,
    };
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
      expiresAt: databaseNowPlus(minutes * 60_000),
    })
    .returning({ id: temporaryAccessPasses.id, expiresAt: temporaryAccessPasses.expiresAt });
  return {
    ok: true,
    id: row!.id,
    pass: formatAccessPass(pass),
    expiresAt: row!.expiresAt,
    oneTime,
  };
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

/** The person's usable pass that `pass` is, if any: looked at only, not spent. */
async function findPass(db: Executor, userId: string, pass: string): Promise<string | null> {
  const candidates = await db
    .select({ id: temporaryAccessPasses.id, passHash: temporaryAccessPasses.passHash })
    .from(temporaryAccessPasses)
    .where(and(eq(temporaryAccessPasses.userId, userId), usable()));
  const digest = hashPass(pass);
  return candidates.find((c) => safeEqual(c.passHash, digest))?.id ?? null;
}

/**
 * Spends a pass: one conditional UPDATE, so a one-time pass submitted twice — in parallel, from
 * two browsers — works exactly once.
 */
async function spendPass(tx: Executor, passId: string): Promise<boolean> {
  const [spent] = await tx
    .update(temporaryAccessPasses)
    .set({ usedAt: sql`now()` })
    .where(and(eq(temporaryAccessPasses.id, passId), usable()))
    .returning({ id: temporaryAccessPasses.id });
  return spent !== undefined;
}

/**
 * A pass in place of the password at the password gate: counted per account in its own scope
 * and per address in the password step's, so guessing passwords and passes draws on one budget.
 */
const accessPassSecret: Secret<{ passId: string }> = {
  accountScope: "access_pass:account",
  // A pass is a one-time secret: every wrong one counts, a repeated one too (R-A11.1).
  repeatsCountOnce: false,
  lockNotice: "access_pass.locked",
  async verify(db, account, input) {
    const pass = normaliseAccessPass(input);
    if (!pass) return { ok: false, reason: "malformed_pass" };
    const passId = account ? await findPass(db, account.id, pass) : null;
    return passId ? { ok: true, proof: { passId } } : { ok: false, reason: "wrong_or_spent_pass" };
  },
  // A keyed hash, not argon2: a paused step has no slow work to match.
  decoy: async () => undefined,
  async confirm(tx, _account, { passId }) {
    return (await spendPass(tx, passId)) ? null : "wrong_or_spent_pass";
  },
};

export type AccessPassSignInResult = Result<{ transactionToken: string }>;

/**
 * "Use a Temporary Access Pass": checks the email and pass and, when right, starts a sign-in at
 * the registration stage with methods ["tap"] — the person goes straight to the wizard, and only
 * registering (and so using) a method finishes the sign-in (R-A10.3, R-A9.2). Unknown account,
 * wrong, expired, used or revoked pass, disabled account and a paused step all give the same
 * `{ ok: false }` (R-A18.1, R-A11.5); the difference is only in the audit log. The pass goes
 * through the password gate: failures are counted per account and per address like the password
 * step's (R-A11.2), and a pause that starts is audited and told to the owner.
 */
export async function signInWithAccessPass(
  db: Db,
  input: { email: string; pass: string; callbackPath: string },
  context: RequestContext,
): Promise<AccessPassSignInResult> {
  const origin = await lookupOrigin(context);
  const checked = await checkPassword(db, {
    account: { email: input.email },
    password: input.pass,
    context,
    purpose: "access_pass",
    secret: accessPassSecret,
    onRefused: (tx, { locked, account }) =>
      recordSignInEvent(
        tx,
        {
          userId: account?.id ?? null,
          result: "failure",
          reason: locked ? "locked" : "access_pass_refused",
          methods: ["tap"],
          origin,
        },
        context,
      ),
    complete: async (tx, { user, proof: { passId } }) => {
      const risk = await assessSignInRisk(tx, {
        userId: user.id,
        at: clock.now(),
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
        subjectId: user.id,
        ip: context.ip,
        userAgent: context.userAgent,
        details: { passId },
      });
      return transactionToken;
    },
  });
  return checked.ok ? { ok: true, transactionToken: checked.value } : { ok: false };
}
