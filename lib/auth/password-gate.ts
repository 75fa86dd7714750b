import { eq, or, sql } from "drizzle-orm";
import type { AuditAction } from "@/lib/audit/events";
import { writeAudit, type AuditEntry } from "@/lib/audit/log";
import type { Db, Executor } from "@/lib/db/client";
import { users } from "@/lib/db/schema";
import { getDirectoryConfig } from "@/lib/directory/config";
import { checkDirectoryPassword, type DirectoryHold } from "@/lib/directory/password";
import { getSecrets } from "@/lib/env";
import { queueSecurityNotice, type NoticeEvent } from "@/lib/notify/security-notice";
import {
  getThrottle,
  recordFailure,
  resetThrottle,
  type ThrottleScope,
} from "@/lib/security/throttle";
import { fingerprint } from "@/lib/security/tokens";
import {
  hashPassword,
  needsRehash,
  PASSWORD_MAX_LENGTH,
  verifyAgainstDummy,
  verifyPassword,
} from "@/lib/security/password";
import { passwordThrottlePolicies } from "@/lib/settings/policy";
import type { RequestContext } from "@/lib/types/request";
import type { Result } from "@/lib/types/result";
import { emailMatches } from "./users";

// The one gate every password check passes through (docs/decisions/0002): the pauses are looked
// at first, an unknown account costs the same argon2 work, every failure counts per account and
// per address, a pause that starts is audited and told to the owner, and a right password still
// has to find no pause inside the transaction that uses it. Callers answer a stranger the same
// for every refusal (R-A18.1, R-A11.5); only the audit log tells them apart.

/**
 * Where a password is checked, and the audit action its refusals are written under. `holder`:
 * the caller has already proven who is asking (a session, a device key), so they are the actor.
 */
export const PASSWORD_PURPOSES = {
  sign_in: { refused: "auth.sign_in.failed", holder: false },
  password_change: { refused: "auth.password.changed", holder: true },
  phone_sign_in: { refused: "mfa.companion.phone_sign_in_enabled", holder: true },
  access_pass: { refused: "auth.access_pass.failed", holder: false },
  account_recovery: { refused: "auth.account_recovery.failed", holder: false },
} as const satisfies Record<string, { refused: AuditAction; holder: boolean }>;
export type PasswordPurpose = keyof typeof PASSWORD_PURPOSES;

const ACCOUNT_COLUMNS = {
  id: users.id,
  email: users.email,
  displayName: users.displayName,
  status: users.status,
  mfaRequired: users.mfaRequired,
  passwordHash: users.passwordHash,
  source: users.source,
  directoryId: users.directoryId,
};
export type PasswordAccount = Pick<typeof users.$inferSelect, keyof typeof ACCOUNT_COLUMNS>;

/**
 * Whose password: an email as typed (it may match no account), the id of an account the caller
 * already knows, or an account the caller looked up itself (null when none matched `email`).
 */
export type AccountRef =
  { email: string } | { userId: string } | { lookedUp: PasswordAccount | null; email: string };

/**
 * Why a secret did not match; each secret names its own. `directory_locked`: the directory
 * refuses every password of the account, so this one proved nothing either way.
 */
export type SecretMismatch =
  "wrong_password" | "wrong_or_spent_pass" | "malformed_pass" | "directory_locked";

/** The secret could not be checked at all: the directory did not answer. Never counted. */
export type SecretUnchecked = "directory_unavailable";

export type { DirectoryHold };

/** Why a check was refused, as the audit log records it: never part of an answer to a stranger. */
export type RefusalCause =
  | "account_locked"
  | "address_locked"
  | "unknown_account"
  | "account_disabled"
  | SecretMismatch
  | SecretUnchecked
  | DirectoryHold;

export type Refusal = { locked: boolean; cause: RefusalCause; account: PasswordAccount | null };

/**
 * What is checked: the account's password, or a secret that stands in for it (a Temporary Access
 * Pass). The per-address count is always the password step's, so every secret draws on one budget.
 */
export type Secret<Proof> = {
  accountScope: ThrottleScope;
  /** Passwords only: retyping the same wrong one is one mistake, not several (0002). */
  repeatsCountOnce: boolean;
  /** What the owner is told when this secret's step is paused (R-A11.5). */
  lockNotice: NoticeEvent;
  /**
   * Checks the secret; for no account (null) it does the same work and fails — unless the
   * directory knows the name typed (`named`), when the account it answers with is used.
   */
  verify(
    db: Db,
    account: PasswordAccount | null,
    secret: string,
    named: string | null,
  ): Promise<
    Result<
      { proof: Proof; account?: PasswordAccount },
      SecretMismatch | SecretUnchecked | DirectoryHold
    >
  >;
  /** The work of a check without one, so a paused step answers after the same time. */
  decoy(secret: string): Promise<unknown>;
  /** In the transaction that uses it: null while the proof still holds (a pass is spent here). */
  confirm(tx: Executor, account: PasswordAccount, proof: Proof): Promise<SecretMismatch | null>;
};

/**
 * The hash a password was verified against, and its replacement when it is weaker than today's;
 * or, for a person of the directory, the directory id whose bind succeeded.
 */
export type PasswordProof = { hash: string; rehash: string | null } | { directoryId: string };

const accountPassword: Secret<PasswordProof> = {
  accountScope: "password:account",
  repeatsCountOnce: true,
  lockNotice: "password.locked",
  async verify(db, account, password, named) {
    // A person of the directory, or a name Factor does not know while a directory is set: the
    // directory checks the password (a directory switched off cannot check it at all).
    const directory = getDirectoryConfig();
    if (account?.source === "directory" || (!account && directory && named !== null)) {
      if (!directory) return { ok: false, reason: "directory_unavailable" };
      const checked = await checkDirectoryPassword(db, directory, account, named, password);
      if (!checked.ok) return checked;
      return {
        ok: true,
        account: checked.account,
        proof: { directoryId: checked.account.directoryId! },
      };
    }
    const hash = account?.passwordHash;
    // No account, or none with a password: one argon2 verification all the same (R-A3.6).
    const ok = hash ? await verifyPassword(hash, password) : await verifyAgainstDummy(password);
    if (!ok || !hash) return { ok: false, reason: "wrong_password" };
    return {
      ok: true,
      proof: { hash, rehash: needsRehash(hash) ? await hashPassword(password) : null },
    };
  },
  decoy: verifyAgainstDummy,
  async confirm(tx, account, proof) {
    // A password replaced while this one was verified is no longer the account's.
    const [row] = await tx
      .select({ passwordHash: users.passwordHash, directoryId: users.directoryId })
      .from(users)
      .where(eq(users.id, account.id))
      .for("update");
    if ("directoryId" in proof)
      return row?.directoryId === proof.directoryId ? null : "wrong_password";
    const { hash, rehash } = proof;
    if (row?.passwordHash !== hash) return "wrong_password";
    if (rehash)
      await tx.update(users).set({ passwordHash: rehash }).where(eq(users.id, account.id));
    return null;
  },
};

export type PasswordCheckRequest<P, T, Proof> = {
  account: AccountRef;
  password: string;
  context: RequestContext;
  purpose: PasswordPurpose;
  /** More for the audit record of a refusal (which device, which form). */
  details?: AuditEntry["details"];
  /** Another secret in place of the account's password. */
  secret?: Secret<Proof>;
  /** What else a refusal leaves (a sign-in event), in the transaction that records it. */
  onRefused?: (tx: Executor, refusal: Refusal) => Promise<unknown>;
  /** Slow work once the password is right, before the final transaction (a new hash). */
  prepare?: (user: PasswordAccount) => Promise<P>;
  /** The caller's change, in the final transaction: after the last look at the pauses. */
  complete?: (
    tx: Executor,
    accepted: { user: PasswordAccount; prepared: P; proof: Proof },
  ) => Promise<T>;
};

export type PasswordCheck<T> =
  | { ok: true; user: PasswordAccount; value: T }
  /** No account, a disabled one or a wrong secret: counted. */
  | { ok: false; reason: "wrong_password" }
  /** A pause in force: not counted, and the right password is refused too. */
  | { ok: false; reason: "locked"; retryAfterSeconds: number }
  /** Nothing any account could accept (R-A2.2): refused before any work, leaving no trace. */
  | { ok: false; reason: "bad_input" }
  /** The directory did not answer: not counted, and nothing is disabled for it. */
  | { ok: false; reason: "unavailable" }
  /** The right password, but the directory holds the account back: tell its owner why. */
  | { ok: false; reason: "held"; hold: DirectoryHold };

/** The longest input that is checked at all: PASSWORD_MAX_LENGTH code points as UTF-16. */
const MAX_INPUT_LENGTH = PASSWORD_MAX_LENGTH * 4;
const MAX_EMAIL_LENGTH = 320;

type Pause = { cause: "account_locked" | "address_locked"; retryAfterSeconds: number };

/**
 * Checks a password, or a secret in its place, for `purpose`. In order: input no account could
 * accept is refused untouched; a pause on the account or the address refuses after the decoy
 * work, uncounted; the secret is verified (against a dummy hash when there is no account); a
 * failure is counted per account and per address and audited, and a pause that starts is
 * audited and told to the owner once; a right one runs `prepare`, then — in one transaction —
 * looks at the pauses again, confirms the secret still holds, resets the account's count and
 * runs `complete` (R-A11.1–R-A11.5, R-A18.1).
 */
export async function checkPassword<P = undefined, T = undefined, Proof = PasswordProof>(
  db: Db,
  request: PasswordCheckRequest<P, T, Proof>,
): Promise<PasswordCheck<T>> {
  if (request.password.length > MAX_INPUT_LENGTH) return { ok: false, reason: "bad_input" };
  const found = await findAccount(db, request.account);
  if (!found) return { ok: false, reason: "bad_input" };
  const secret = request.secret ?? (accountPassword as unknown as Secret<Proof>);
  const gate: Gate = {
    db,
    purpose: request.purpose,
    context: request.context,
    password: request.password,
    details: request.details,
    onRefused: request.onRefused,
    secret,
    ...found,
    ipKey: request.context.ip ?? "unknown",
  };

  const pause = await currentPause(db, gate);
  if (pause) {
    await secret.decoy(request.password);
    return refuseLocked(gate, pause);
  }
  const verified = await secret.verify(db, found.account, request.password, found.named);
  if (!verified.ok && verified.reason === "directory_unavailable") {
    return refuseUnchecked(gate, verified.reason);
  }
  // The directory's account for a name Factor did not know yet (created on a first sign-in).
  const account = (verified.ok ? verified.account : undefined) ?? found.account;
  gate.account = account;
  if (!verified.ok && isDirectoryHold(verified.reason) && account?.status !== "disabled") {
    return refuseHeld(gate, verified.reason);
  }
  if (!account || !verified.ok || account.status !== "active") {
    return refuseWrong(
      gate,
      // The directory knew the name: its lock is the cause, not an unknown account.
      !verified.ok && verified.reason === "directory_locked"
        ? verified.reason
        : !account
          ? "unknown_account"
          : !verified.ok
            ? isDirectoryHold(verified.reason)
              ? "account_disabled"
              : verified.reason
            : "account_disabled",
    );
  }

  const prepared = (await request.prepare?.(account)) as P;
  type Outcome = { pause: Pause } | { mismatch: SecretMismatch } | { value: T };
  const outcome = await db.transaction(async (tx): Promise<Outcome> => {
    // Guesses sent together all passed the first look before any of them was counted: one that
    // finishes verifying after the pause began must not get in, right or not (R-A11.3, R-A11.5).
    const pauseNow = await currentPause(tx, gate);
    if (pauseNow) return { pause: pauseNow };
    const mismatch = await secret.confirm(tx, account, verified.proof);
    if (mismatch) return { mismatch };
    await resetThrottle(tx, secret.accountScope, found.key);
    const value = (await request.complete?.(tx, {
      user: account,
      prepared,
      proof: verified.proof,
    })) as T;
    return { value };
  });
  if ("pause" in outcome) return refuseLocked(gate, outcome.pause);
  if ("mismatch" in outcome) return refuseWrong(gate, outcome.mismatch);
  return { ok: true, user: account, value: outcome.value };
}

/** One check in progress: what the refusals below record. */
type Gate = Pick<
  PasswordCheckRequest<unknown, unknown, unknown>,
  "purpose" | "context" | "password" | "details" | "onRefused"
> & {
  db: Db;
  secret: Pick<Secret<unknown>, "accountScope" | "repeatsCountOnce" | "lockNotice">;
  account: PasswordAccount | null;
  /** The account's throttle key: the email, lower case — also for emails with no account. */
  key: string;
  /** The email as the caller named it, for the audit record; null for an account given by id. */
  named: string | null;
  ipKey: string;
};

async function findAccount(
  db: Executor,
  ref: AccountRef,
): Promise<{ account: PasswordAccount | null; key: string; named: string | null } | null> {
  if ("userId" in ref) {
    const [account] = await db.select(ACCOUNT_COLUMNS).from(users).where(eq(users.id, ref.userId));
    return account ? { account, key: account.email.toLowerCase(), named: null } : null;
  }
  const email = ref.email.trim().toLowerCase();
  if (!email || email.length > MAX_EMAIL_LENGTH) return null;
  if ("lookedUp" in ref) return { account: ref.lookedUp, key: email, named: email };
  // A person of the directory may also give their login name; their count is kept under their
  // email either way, so two names never double the guesses an account allows.
  const [account] = await db
    .select(ACCOUNT_COLUMNS)
    .from(users)
    .where(or(emailMatches(email), sql`lower(${users.directoryLogin}) = ${email}`))
    .orderBy(sql`${users.directoryLogin} is not null`)
    .limit(1);
  return { account: account ?? null, key: account?.email.toLowerCase() ?? email, named: email };
}

const HOLDS: readonly string[] = [
  "password_expired",
  "password_must_change",
  "directory_disabled",
  "not_provisionable",
] satisfies DirectoryHold[];

/** Whether a refusal is the directory holding back an account whose password was right. */
export function isDirectoryHold(reason: string): reason is DirectoryHold {
  return HOLDS.includes(reason);
}

/** The pause in force on the account or the address, if any, and how long it has left. */
async function currentPause(db: Executor, gate: Gate): Promise<Pause | null> {
  const account = await getThrottle(db, gate.secret.accountScope, gate.key);
  const address = await getThrottle(db, "password:ip", gate.ipKey);
  if (!account.locked && !address.locked) return null;
  return {
    cause: account.locked ? "account_locked" : "address_locked",
    retryAfterSeconds: Math.max(1, account.secondsLeft, address.secondsLeft),
  };
}

function auditBase(gate: Gate, outcome: AuditEntry["outcome"]) {
  const subjectId = gate.account?.id ?? null;
  return {
    outcome,
    actorId: PASSWORD_PURPOSES[gate.purpose].holder ? subjectId : null,
    subjectId,
    ip: gate.context.ip,
    userAgent: gate.context.userAgent,
  };
}

function refusalDetails(gate: Gate, cause: RefusalCause) {
  return {
    reason: cause,
    ...(gate.named === null ? {} : { email: gate.named }),
    ...gate.details,
  };
}

async function refuseLocked(gate: Gate, pause: Pause): Promise<PasswordCheck<never>> {
  await gate.db.transaction(async (tx) => {
    await writeAudit(tx, {
      action: PASSWORD_PURPOSES[gate.purpose].refused,
      ...auditBase(gate, "denied"),
      details: refusalDetails(gate, pause.cause),
    });
    await gate.onRefused?.(tx, { locked: true, cause: pause.cause, account: gate.account });
  });
  return { ok: false, reason: "locked", retryAfterSeconds: pause.retryAfterSeconds };
}

/** The directory did not answer: recorded, never counted (an outage must lock no one out). */
async function refuseUnchecked(gate: Gate, cause: SecretUnchecked): Promise<PasswordCheck<never>> {
  await gate.db.transaction(async (tx) => {
    await writeAudit(tx, {
      action: PASSWORD_PURPOSES[gate.purpose].refused,
      ...auditBase(gate, "failure"),
      details: refusalDetails(gate, cause),
    });
    await gate.onRefused?.(tx, { locked: false, cause, account: gate.account });
  });
  return { ok: false, reason: "unavailable" };
}

/** The right password, held back by the directory: not a guess, so not counted either. */
async function refuseHeld(gate: Gate, hold: DirectoryHold): Promise<PasswordCheck<never>> {
  await gate.db.transaction(async (tx) => {
    await writeAudit(tx, {
      action: PASSWORD_PURPOSES[gate.purpose].refused,
      ...auditBase(gate, "denied"),
      details: refusalDetails(gate, hold),
    });
    await gate.onRefused?.(tx, { locked: false, cause: hold, account: gate.account });
  });
  return { ok: false, reason: "held", hold };
}

async function refuseWrong(gate: Gate, cause: RefusalCause): Promise<PasswordCheck<never>> {
  const { secret, account, key } = gate;
  const policies = passwordThrottlePolicies();
  const repeated = secret.repeatsCountOnce
    ? { fingerprint: fingerprint(getSecrets().authSecret, "password", key, gate.password) }
    : undefined;
  await gate.db.transaction(async (tx) => {
    const perAccount = await recordFailure(
      tx,
      secret.accountScope,
      key,
      policies.account,
      repeated,
    );
    const perAddress = await recordFailure(tx, "password:ip", gate.ipKey, policies.ip, repeated);
    await writeAudit(tx, {
      action: PASSWORD_PURPOSES[gate.purpose].refused,
      ...auditBase(gate, "failure"),
      details: { ...refusalDetails(gate, cause), failures: perAccount.failures },
    });
    await gate.onRefused?.(tx, { locked: false, cause, account });
    if (perAccount.lockStarted || perAddress.lockStarted) {
      const started = perAccount.lockStarted ? perAccount : perAddress;
      await writeAudit(tx, {
        action: "auth.sign_in.locked_out",
        ...auditBase(gate, "denied"),
        details: {
          scope: perAccount.lockStarted ? "account" : "address",
          email: key,
          until: started.lockedUntil!.toISOString(),
          purpose: gate.purpose,
        },
      });
    }
    // The pause is told only out of band, to the account's owner (R-A11.5, R-A15.1).
    if (perAccount.lockStarted && account) {
      await queueSecurityNotice(tx, account, secret.lockNotice, gate.context);
    }
  });
  return { ok: false, reason: "wrong_password" };
}
