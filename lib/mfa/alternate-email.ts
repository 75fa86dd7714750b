import { createHmac, randomInt } from "node:crypto";
import { and, desc, eq, gt, lt, sql } from "drizzle-orm";
import { z } from "zod";
import { writeAudit } from "@/lib/audit/log";
import type { Db, Executor } from "@/lib/db/client";
import { alternateEmails, emailCodes, users } from "@/lib/db/schema";
import { databaseNowPlus } from "@/lib/db/time";
import { getEnv, getSecrets } from "@/lib/env";
import { queueMessage } from "@/lib/notify/outbox";
import { queueSecurityNotice } from "@/lib/notify/security-notice";
import { getThrottle, recordFailure, resetThrottle } from "@/lib/security/throttle";
import { safeEqual } from "@/lib/security/tokens";
import { mfaThrottlePolicy } from "@/lib/settings/policy";
import type { RequestContext } from "@/lib/types/request";
import type { Result } from "@/lib/types/result";
import { emailCodeAllowance, lockEmailSends } from "./phone-send-limits";
import { CODE_FAILURE_LIMIT } from "./phone-challenges";

// The alternate email (docs/decisions/0023): a personal address for resetting a password, for
// recovery and for security notices — never a second factor for sign-in, so it lives outside
// mfa_methods. Its codes are 8 digits, live 10 minutes, are kept as keyed hashes bound to their
// person, purpose and transaction (R-A1.6, R-A3.5), die after 5 wrong tries (R-A5.3), are sent
// within the texts' limits (R-A5.4) and carry no link (R-A5.8).

/** How long an emailed code may be used. */
export const EMAIL_CODE_TTL_MS = 10 * 60_000;
/** Digits in an emailed code: more than a text's, since an inbox is easier to reach than a SIM. */
export const EMAIL_CODE_DIGITS = 8;

export type EmailCodePurpose = "enrol" | "password_reset" | "recovery";

/** Which code a request is about: whose, why, and which reset, recovery or session. */
export type EmailCodeBinding = { userId: string; purpose: EmailCodePurpose; transactionId: string };

export type AlternateEmail = { id: string; email: string; verifiedAt: Date; createdAt: Date };

export const alternateEmailSchema = z
  .string()
  .trim()
  .max(254, "Enter an email address of at most 254 characters.")
  .pipe(z.email("Enter an email address, like name@example.com."));

/** The person's verified alternate email, or null. */
export async function getAlternateEmail(
  db: Executor,
  userId: string,
): Promise<AlternateEmail | null> {
  const [row] = await db
    .select({
      id: alternateEmails.id,
      email: alternateEmails.email,
      verifiedAt: alternateEmails.verifiedAt,
      createdAt: alternateEmails.createdAt,
    })
    .from(alternateEmails)
    .where(and(eq(alternateEmails.userId, userId), eq(alternateEmails.status, "active")));
  return row?.verifiedAt ? { ...row, verifiedAt: row.verifiedAt } : null;
}

/** The address being verified, if one is. */
export async function getPendingAlternateEmail(
  db: Executor,
  userId: string,
): Promise<{ id: string; email: string } | null> {
  const [row] = await db
    .select({ id: alternateEmails.id, email: alternateEmails.email })
    .from(alternateEmails)
    .where(and(eq(alternateEmails.userId, userId), eq(alternateEmails.status, "pending")))
    .orderBy(desc(alternateEmails.createdAt))
    .limit(1);
  return row ?? null;
}

/** "m•••@example.org": enough for the owner to recognise, little for anyone else. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf("@");
  if (at < 1) return "•••";
  return `${email[0]}•••${email.slice(at)}`;
}

function newCode(): string {
  return String(randomInt(0, 10 ** EMAIL_CODE_DIGITS)).padStart(EMAIL_CODE_DIGITS, "0");
}

function hashCode(codeId: string, code: string): string {
  return createHmac("sha256", getSecrets().authSecret)
    .update(`email-code\u0000${codeId}\u0000${code}`)
    .digest("base64url");
}

const WHY: Record<EmailCodePurpose, string> = {
  enrol: "to add this address as your alternate email",
  password_reset: "to reset your password",
  recovery: "to recover your account",
};

export type EmailSendResult =
  | { ok: true }
  | { ok: false; reason: "limit"; retryAfterSeconds: number }
  | { ok: false; reason: "dead" };

/**
 * Emails a code for a binding to one address, within the send limits. A resend replaces the code
 * and keeps the failure count; a code that has taken 5 wrong tries stays dead (R-A5.2, R-A5.3).
 */
export async function sendEmailCode(
  db: Executor,
  binding: EmailCodeBinding,
  address: { id: string; email: string },
  context: RequestContext,
): Promise<EmailSendResult> {
  return db.transaction(async (tx) => {
    await lockEmailSends(tx, binding.userId, address.email);
    const wait = await emailCodeAllowance(tx, binding.userId, address.email);
    const audit = { actorId: binding.userId, subjectId: binding.userId, ...context };
    if (wait > 0) {
      await writeAudit(tx, {
        action: "mfa.email.refused",
        outcome: "denied",
        ...audit,
        details: { purpose: binding.purpose, retryAfterSeconds: wait },
      });
      return { ok: false, reason: "limit", retryAfterSeconds: wait } as const;
    }
    const [current] = await tx
      .select({ id: emailCodes.id, failures: emailCodes.failures })
      .from(emailCodes)
      .where(and(bindingMatches(binding), eq(emailCodes.alternateEmailId, address.id)))
      .orderBy(desc(emailCodes.createdAt))
      .limit(1)
      .for("update");
    if (current && current.failures >= CODE_FAILURE_LIMIT) {
      return { ok: false, reason: "dead" } as const;
    }
    const id = current?.id ?? crypto.randomUUID();
    const code = newCode();
    const fields = {
      codeHash: hashCode(id, code),
      status: "pending" as const,
      expiresAt: databaseNowPlus(EMAIL_CODE_TTL_MS),
    };
    if (current) {
      await tx
        .update(emailCodes)
        .set({ ...fields, sends: sql`${emailCodes.sends} + 1` })
        .where(eq(emailCodes.id, id));
    } else {
      await tx
        .insert(emailCodes)
        .values({ id, ...binding, alternateEmailId: address.id, ...fields });
    }
    const { ORG_NAME } = getEnv();
    // Plain text, no link: the code is typed into the page that asked for it (R-A5.8).
    await queueMessage(tx, {
      userId: binding.userId,
      channel: "email",
      recipient: address.email,
      subject: `Your ${ORG_NAME} verification code`,
      body:
        `Your ${ORG_NAME} verification code is ${code}. Enter it ${WHY[binding.purpose]}. ` +
        `It expires in ${EMAIL_CODE_TTL_MS / 60_000} minutes. Don't share it with anyone, ` +
        "including the helpdesk. If you did not ask for it, you can ignore this email.",
      sensitive: true,
      reference: id,
    });
    await writeAudit(tx, {
      action: "mfa.email.sent",
      outcome: "success",
      ...audit,
      details: { purpose: binding.purpose },
    });
    return { ok: true } as const;
  });
}

function bindingMatches(binding: EmailCodeBinding) {
  return and(
    eq(emailCodes.userId, binding.userId),
    eq(emailCodes.purpose, binding.purpose),
    eq(emailCodes.transactionId, binding.transactionId),
  );
}

/**
 * Checks a typed code against the binding's live code. Right: used up. Wrong: one more failure on
 * the code (the fifth kills it, R-A5.3) and on the person's emailed-code counter, which pauses
 * every emailed code as the second step pauses codes (R-A11.2, R-A11.3); while paused even a right
 * code fails (R-A11.5). Call inside a transaction.
 */
export async function checkEmailCode(
  db: Executor,
  binding: EmailCodeBinding,
  code: string,
): Promise<boolean> {
  const typed = code.replace(/\s+/g, "");
  await db.execute(sql`select pg_advisory_xact_lock(hashtext(${`email-code:${binding.userId}`}))`);
  const paused = (await getThrottle(db, "email_code:account", binding.userId)).locked;
  const [row] = await db
    .select({ id: emailCodes.id, codeHash: emailCodes.codeHash })
    .from(emailCodes)
    .where(
      and(
        bindingMatches(binding),
        eq(emailCodes.status, "pending"),
        gt(emailCodes.expiresAt, sql`now()`),
        lt(emailCodes.failures, CODE_FAILURE_LIMIT),
      ),
    )
    .orderBy(desc(emailCodes.createdAt))
    .limit(1)
    .for("update");
  const right =
    !paused &&
    row !== undefined &&
    new RegExp(`^\\d{${EMAIL_CODE_DIGITS}}$`).test(typed) &&
    safeEqual(row.codeHash, hashCode(row.id, typed));
  if (right) {
    const used = await db
      .update(emailCodes)
      .set({ status: "used" })
      .where(and(eq(emailCodes.id, row.id), eq(emailCodes.status, "pending")))
      .returning({ id: emailCodes.id });
    if (used.length === 1) {
      await resetThrottle(db, "email_code:account", binding.userId);
      return true;
    }
    return false;
  }
  if (row) {
    await db
      .update(emailCodes)
      .set({
        failures: sql`${emailCodes.failures} + 1`,
        status: sql`case when ${emailCodes.failures} + 1 >= ${CODE_FAILURE_LIMIT} then 'dead' else ${emailCodes.status} end`,
      })
      .where(eq(emailCodes.id, row.id));
  }
  if (!paused) {
    await recordFailure(db, "email_code:account", binding.userId, mfaThrottlePolicy());
  }
  return false;
}

type Person = { id: string; email: string; displayName: string };

export type AlternateEmailStart = Result<
  object,
  "invalid" | "same_as_sign_in" | "limit" | "dead",
  { message: string }
>;

/**
 * "Send code": keeps the typed address as pending, replacing one being verified, and emails it a
 * code bound to the session that asked. The caller checks step-up freshness (R-A9.1).
 */
export async function beginAlternateEmail(
  db: Db,
  user: Person,
  sessionId: string,
  input: string,
  context: RequestContext,
): Promise<AlternateEmailStart> {
  const parsed = alternateEmailSchema.safeParse(input);
  if (!parsed.success) {
    return { ok: false, reason: "invalid", message: parsed.error.issues[0]!.message };
  }
  const email = parsed.data;
  if (email.toLowerCase() === user.email.toLowerCase()) {
    return {
      ok: false,
      reason: "same_as_sign_in",
      message: "Enter a personal address, not the one you sign in with.",
    };
  }
  const pending = await getPendingAlternateEmail(db, user.id);
  const address =
    pending && pending.email.toLowerCase() === email.toLowerCase()
      ? pending
      : await db.transaction(async (tx) => {
          await tx
            .delete(alternateEmails)
            .where(and(eq(alternateEmails.userId, user.id), eq(alternateEmails.status, "pending")));
          const [row] = await tx
            .insert(alternateEmails)
            .values({ userId: user.id, email, status: "pending" })
            .returning({ id: alternateEmails.id, email: alternateEmails.email });
          return row!;
        });
  const sent = await sendEmailCode(
    db,
    { userId: user.id, purpose: "enrol", transactionId: sessionId },
    address,
    context,
  );
  if (sent.ok) return { ok: true };
  if (sent.reason === "limit") {
    return {
      ok: false,
      reason: "limit",
      message: `Too many codes were sent. Try again in ${Math.ceil(sent.retryAfterSeconds / 60)} minutes.`,
    };
  }
  return {
    ok: false,
    reason: "dead",
    message:
      "That code was entered wrongly too many times. Start again with another address later.",
  };
}

export type AlternateEmailConfirm = Result<object, "wrong_code" | "missing", { message: string }>;

/**
 * "Verify": the code emailed to the pending address makes it the person's alternate email,
 * replacing any earlier one. Audited; told to the sign-in address and to the addresses it
 * replaces and adds (R-A9.3, R-A15.2). The caller checks step-up freshness.
 */
export async function confirmAlternateEmail(
  db: Db,
  user: Person,
  sessionId: string,
  code: string,
  context: RequestContext,
): Promise<AlternateEmailConfirm> {
  return db.transaction(async (tx) => {
    const pending = await getPendingAlternateEmail(tx, user.id);
    if (!pending)
      return { ok: false, reason: "missing", message: "Start again: enter the address." };
    const right = await checkEmailCode(
      tx,
      { userId: user.id, purpose: "enrol", transactionId: sessionId },
      code,
    );
    if (!right) {
      return {
        ok: false,
        reason: "wrong_code",
        message: "That code didn't work. Check it and try again.",
      };
    }
    const replaced = await getAlternateEmail(tx, user.id);
    if (replaced) await tx.delete(alternateEmails).where(eq(alternateEmails.id, replaced.id));
    await tx
      .update(alternateEmails)
      .set({ status: "active", verifiedAt: sql`now()` })
      .where(eq(alternateEmails.id, pending.id));
    await writeAudit(tx, {
      action: replaced ? "mfa.alternate_email.changed" : "mfa.alternate_email.added",
      outcome: "success",
      actorId: user.id,
      subjectId: user.id,
      ...context,
      details: { email: maskEmail(pending.email) },
    });
    // The notice goes to the sign-in address and, now, the new one; the old one is told apart.
    await queueSecurityNotice(
      tx,
      user,
      "alternate_email.changed",
      context,
      replaced
        ? `${maskEmail(replaced.email)} was replaced by ${maskEmail(pending.email)}.`
        : `${maskEmail(pending.email)} was added.`,
      { emailAlso: replaced?.email },
    );
    return { ok: true };
  });
}

/**
 * "Delete": the person's alternate email is removed and stops receiving notices and codes.
 * Audited and told to both addresses. The caller checks step-up freshness (R-A9.1).
 */
export async function removeAlternateEmail(
  db: Db,
  user: Person,
  context: RequestContext,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const current = await getAlternateEmail(tx, user.id);
    if (!current) return false;
    await tx.delete(alternateEmails).where(eq(alternateEmails.id, current.id));
    await writeAudit(tx, {
      action: "mfa.alternate_email.removed",
      outcome: "success",
      actorId: user.id,
      subjectId: user.id,
      ...context,
      details: { email: maskEmail(current.email) },
    });
    await queueSecurityNotice(
      tx,
      user,
      "alternate_email.removed",
      context,
      `${maskEmail(current.email)} was removed.`,
      { emailAlso: current.email },
    );
    return true;
  });
}

/**
 * For a password reset or a recovery: emails a code to the account's alternate email when it has
 * one. Answers the same whether or not it has (R-A18.1); the page says "if".
 */
export async function sendCodeToAlternateEmail(
  db: Db,
  binding: EmailCodeBinding,
  context: RequestContext,
  registeredBefore?: Date,
): Promise<void> {
  const address = await getAlternateEmail(db, binding.userId);
  if (!address) return;
  if (registeredBefore && address.verifiedAt > registeredBefore) return;
  const [account] = await db
    .select({ status: users.status })
    .from(users)
    .where(eq(users.id, binding.userId));
  if (account?.status !== "active") return;
  await sendEmailCode(db, binding, address, context);
}

/** Removes codes a day past their time. */
export async function purgeExpiredEmailCodes(db: Executor): Promise<void> {
  await db.delete(emailCodes).where(lt(emailCodes.expiresAt, sql`now() - interval '1 day'`));
}
