import { eq, sql } from "drizzle-orm";
import { writeAudit } from "@/lib/audit/log";
import type { Db, Executor } from "@/lib/db/client";
import { users } from "@/lib/db/schema";
import { getDirectoryConfig } from "@/lib/directory/config";
import {
  changeDirectoryPassword,
  directoryRefusalMessage,
  type DirectoryPasswordWrite,
} from "@/lib/directory/password";
import { getEnv } from "@/lib/env";
import { forgetBrowsers } from "@/lib/mfa/remembered-browser";
import { queueSecurityNotice } from "@/lib/notify/security-notice";
import { hashToken } from "@/lib/security/tokens";
import { resetThrottle } from "@/lib/security/throttle";
import { hashPassword } from "@/lib/security/password";
import { checkPassword } from "./password-gate";
import { checkNewPassword, PASSWORD_MAX_LENGTH } from "./password-policy";
import { endSignInsInProgress, revokeSession, revokeUserSessions } from "./sessions";
import { REMEMBERED_BROWSER_AMR } from "./sign-in";
import { advanceSignInTransaction, beginSignInTransaction } from "./sign-in-transaction";
import type { RequestContext } from "@/lib/types/request";

export const PASSWORD_FIELDS = ["currentPassword", "newPassword", "confirmPassword"] as const;
export type PasswordField = (typeof PASSWORD_FIELDS)[number];
export type PasswordChangeInput = Record<PasswordField, string>;

/** The session that asks for the change: it ends too, and this browser carries on in a new one. */
export type ChangingSession = {
  id: string;
  methods: string[];
  secondFactorAt: Date | null;
  persistent: boolean;
};

export type PasswordChangeOptions = {
  /** Where the change was made, for the audit log. */
  via: "secure_account" | "required_change";
  /** Whether every other session ends too (always, when securing the account: R-A13.2). */
  signOutOthers: boolean;
  session: ChangingSession;
  /** Where the browser goes once its new session is issued. */
  callbackPath: string;
};

export type PasswordChangeResult =
  | { ok: true; signInToken: string; persistent: boolean; sessionsEnded: number }
  | {
      ok: false;
      fieldErrors: Partial<Record<PasswordField, string>>;
      /** The asking session had ended meanwhile: nothing changed, the person signs in again. */
      signedOut?: true;
    };

export const WRONG_CURRENT_PASSWORD = "Your current password is incorrect.";
export const CURRENT_PASSWORD_LOCKED =
  "Too many wrong passwords. Wait a few minutes, then try again.";
export const DIRECTORY_UNAVAILABLE =
  "We can't check your password right now. Nothing was changed: try again in a few minutes.";

/**
 * Changes a person's password (R-A2.7, R-A13.2): the current password is checked and throttled
 * exactly like the password step of sign-in, the new one against the policy (R-A2.4). Then, in
 * ONE database transaction: the new hash, every session of the person (the asking one included,
 * and all others when `signOutOthers`), every remembered browser and every sign-in in progress
 * end, the audit records and the email are written, and a ready sign-in is prepared so this
 * browser gets a new session with the factors it had just proven (docs/decisions/0006). A failure
 * anywhere leaves everything as it was. The caller checks the step-up freshness (R-A9.1).
 */
export async function changePassword(
  db: Db,
  userId: string,
  input: PasswordChangeInput,
  context: RequestContext,
  options: PasswordChangeOptions,
): Promise<PasswordChangeResult> {
  const [user] = await db
    .select({
      id: users.id,
      email: users.email,
      displayName: users.displayName,
      status: users.status,
      directoryId: users.directoryId,
    })
    .from(users)
    .where(eq(users.id, userId));
  if (!user || user.status !== "active") throw new Error("The account is not active.");
  const directory = user.directoryId ? getDirectoryConfig() : null;

  const fieldErrors: Partial<Record<PasswordField, string>> = {};
  if (!input.currentPassword) fieldErrors.currentPassword = "Enter your current password.";
  else if (input.currentPassword.length > PASSWORD_MAX_LENGTH * 4)
    fieldErrors.currentPassword = WRONG_CURRENT_PASSWORD;
  const policy = checkNewPassword(input.newPassword, {
    name: user.displayName,
    email: user.email,
    orgName: getEnv().ORG_NAME,
  });
  if (!policy.ok) fieldErrors.newPassword = policy.message;
  else if (input.newPassword.normalize("NFKC") === input.currentPassword.normalize("NFKC"))
    fieldErrors.newPassword = "Choose a new password, different from your current one.";
  if (!input.confirmPassword) fieldErrors.confirmPassword = "Enter the new password again.";
  else if (input.confirmPassword !== input.newPassword)
    fieldErrors.confirmPassword = "The passwords don't match. Enter the new password again.";
  if (Object.keys(fieldErrors).length > 0) return { ok: false, fieldErrors };

  const audit = { actorId: user.id, subjectId: user.id, ...context };
  // The same gate and counters as the password step: a stolen session cannot guess it here.
  const checked = await checkPassword(db, {
    account: { userId: user.id },
    password: input.currentPassword,
    context,
    purpose: "password_change",
    details: { via: options.via },
    // A person of the directory: the directory takes the new password now (it cannot take part
    // in the transaction below) and Factor keeps nothing of it; its policy may still refuse it.
    prepare: async (): Promise<string | DirectoryPasswordWrite> =>
      user.directoryId
        ? directory
          ? changeDirectoryPassword(
              directory,
              user.directoryId,
              input.currentPassword,
              input.newPassword,
            )
          : { ok: false, reason: "unavailable" }
        : hashPassword(input.newPassword),
    complete: async (tx, { prepared }) => {
      if (typeof prepared !== "string" && !prepared.ok) return { unwritten: prepared };
      // The asking session must still be live: a session signed out meanwhile cannot go on.
      if (!(await revokeSession(tx, options.session.id, "password_changed"))) return null;
      const { sessionsEnded: others, browsersForgotten } = await replacePassword(
        tx,
        user,
        typeof prepared === "string" ? prepared : null,
        {
          mustChange: false,
          signOut: options.signOutOthers ? "all" : "none",
          reason: "password_changed",
        },
      );
      const signInToken = await prepareContinuation(tx, user.id, context, options);
      await writeAudit(tx, {
        action: "auth.password.changed",
        outcome: "success",
        ...audit,
        details: {
          via: options.via,
          ...(user.directoryId ? { writtenTo: "directory" } : {}),
          signedOutOthers: options.signOutOthers,
          sessions: others,
          browsersForgotten,
        },
      });
      if (options.signOutOthers) {
        await writeAudit(tx, {
          action: "auth.sessions.revoked_all",
          outcome: "success",
          ...audit,
          details: { sessions: others + 1, reason: "password_changed" },
        });
      }
      await queueSecurityNotice(
        tx,
        user,
        "password.changed",
        context,
        options.signOutOthers
          ? "Every browser and device signed in to your account was signed out."
          : "",
      );
      return { signInToken, sessionsEnded: others + 1 };
    },
  });
  if (!checked.ok) {
    const message =
      checked.reason === "locked"
        ? CURRENT_PASSWORD_LOCKED
        : checked.reason === "unavailable"
          ? DIRECTORY_UNAVAILABLE
          : WRONG_CURRENT_PASSWORD;
    return { ok: false, fieldErrors: { currentPassword: message } };
  }
  if (!checked.value) return { ok: false, fieldErrors: {}, signedOut: true };
  if ("unwritten" in checked.value) {
    const unwritten: DirectoryPasswordWrite = checked.value.unwritten!;
    return {
      ok: false,
      fieldErrors: unwritten.ok
        ? {}
        : unwritten.reason === "refused"
          ? { newPassword: directoryRefusalMessage(unwritten.message) }
          : { currentPassword: DIRECTORY_UNAVAILABLE },
    };
  }
  return { ok: true, ...checked.value, persistent: options.session.persistent };
}

/**
 * The one place a password is replaced, whoever replaces it — the person (R-A2.7) or the
 * helpdesk: the new hash (none for a person of the directory, whose directory has it), the password pause lifted, and what the old password opened ends with
 * it. Every remembered browser ("Don't ask again") and every sign-in in progress always end, so
 * nobody holding the new password skips the second factor on a browser trusted before (R-A12.6,
 * R-A13.2); every session too with `signOut: "all"`. In the caller's transaction.
 */
export async function replacePassword(
  tx: Executor,
  user: { id: string; email: string },
  passwordHash: string | null,
  options: { mustChange: boolean; signOut: "all" | "none"; reason: string },
): Promise<{ sessionsEnded: number; browsersForgotten: number }> {
  // Factor keeps no password for a person of the directory (users_directory_no_password): for
  // them `passwordHash` is null, the new password having been written to the directory already.
  const [account] = await tx
    .select({ source: users.source })
    .from(users)
    .where(eq(users.id, user.id));
  if (!account || (account.source === "directory") !== (passwordHash === null))
    throw new Error("A directory account's password is changed in the directory");
  await tx
    .update(users)
    .set({
      ...(passwordHash === null ? {} : { passwordHash }),
      passwordChangedAt: sql`now()`,
      mustChangePassword: options.mustChange,
      updatedAt: sql`now()`,
    })
    .where(eq(users.id, user.id));
  await resetThrottle(tx, "password:account", user.email.toLowerCase());
  const sessionsEnded =
    options.signOut === "all" ? await revokeUserSessions(tx, user.id, options.reason) : 0;
  const browsersForgotten = await forgetBrowsers(tx, user.id);
  await endSignInsInProgress(tx, user.id);
  return { sessionsEnded, browsersForgotten };
}

/**
 * A ready sign-in for the browser that changed the password, with the factors its session had.
 * Safe to grant: this request proved the current password, and the caller checked that the
 * second factor is fresh. Its session gets a new id (R-A12.3); its time of authentication is
 * now, the same instant as the password change.
 */
async function prepareContinuation(
  tx: Executor,
  userId: string,
  context: RequestContext,
  options: PasswordChangeOptions,
): Promise<string> {
  const token = await beginSignInTransaction(tx, {
    userId,
    purpose: "sign_in",
    stage: "ready",
    // Every remembered browser was just forgotten: the new session cannot stand on one.
    methods: [
      ...new Set(["pwd", ...options.session.methods.filter((m) => m !== REMEMBERED_BROWSER_AMR)]),
    ],
    persistent: options.session.persistent,
    callbackPath: options.callbackPath,
    ip: context.ip,
    userAgent: context.userAgent,
  });
  await advanceSignInTransaction(tx, hashToken(token), "ready", "ready", {
    secondFactorAt: options.session.secondFactorAt,
  });
  return token;
}

/** Whether the person must change their password before anything else, and when they last did. */
export async function getPasswordStatus(
  db: Executor,
  userId: string,
): Promise<{ mustChangePassword: boolean; passwordChangedAt: Date | null }> {
  const [row] = await db
    .select({
      mustChangePassword: users.mustChangePassword,
      passwordChangedAt: users.passwordChangedAt,
    })
    .from(users)
    .where(eq(users.id, userId));
  return row ?? { mustChangePassword: false, passwordChangedAt: null };
}
