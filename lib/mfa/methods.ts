import { and, asc, eq, lt, sql } from "drizzle-orm";
import type { Executor } from "@/lib/db/client";
import { mfaMethods, recoveryCodes, users } from "@/lib/db/schema";
import { phonesDeliverable } from "@/lib/notify/providers";
import { shortPhone } from "./phone-numbers";
import {
  effectiveDefault,
  isPhoneKind,
  kindAllowedFor,
  METHOD_KIND_INFO,
  phoneNumberOf,
  preferredOption,
  SIGN_IN_OPTIONS,
  type MethodData,
  type MethodKind,
  type MethodView,
  type Role,
  type SignInChoice,
  type SignInOptionId,
} from "./registry";
import { isUuid } from "@/lib/security/ids";

const viewColumns = {
  id: mfaMethods.id,
  kind: sql<MethodKind>`${mfaMethods.kind}`,
  label: mfaMethods.label,
  isDefault: mfaMethods.isDefault,
  createdAt: mfaMethods.createdAt,
  lastUsedAt: mfaMethods.lastUsedAt,
  data: sql<MethodData | null>`${mfaMethods.data}`,
};

/** A user's active methods, oldest first — never a secret. */
export async function listMethods(db: Executor, userId: string): Promise<MethodView[]> {
  return db
    .select(viewColumns)
    .from(mfaMethods)
    .where(and(eq(mfaMethods.userId, userId), eq(mfaMethods.status, "active")))
    .orderBy(asc(mfaMethods.createdAt));
}

/** Whether the person has a default method; the first one they add becomes it. */
export async function hasDefaultMethod(db: Executor, userId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: mfaMethods.id })
    .from(mfaMethods)
    .where(and(eq(mfaMethods.userId, userId), eq(mfaMethods.isDefault, true)))
    .limit(1);
  return row !== undefined;
}

/** One of the user's own active methods; a foreign or unknown id is null alike (R-A9.4). */
export async function getOwnMethod(
  db: Executor,
  userId: string,
  methodId: string,
): Promise<MethodView | null> {
  if (!isUuid(methodId)) return null;
  const [row] = await db
    .select(viewColumns)
    .from(mfaMethods)
    .where(
      and(
        eq(mfaMethods.id, methodId),
        eq(mfaMethods.userId, userId),
        eq(mfaMethods.status, "active"),
      ),
    );
  return row ?? null;
}

/** Unused recovery codes left. */
export async function countRecoveryCodes(db: Executor, userId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(recoveryCodes)
    .where(and(eq(recoveryCodes.userId, userId), sql`${recoveryCodes.usedAt} is null`));
  return row?.n ?? 0;
}

/** What "Sign in another way" calls a choice: "Text +44 XXXXXXXX12", "Use a recovery code"… */
export function choiceLabel(choice: SignInChoice, methods: MethodView[]): string {
  const method = methods.find((m) => m.id === choice.methodId);
  const number = method ? shortPhone(phoneNumberOf(method)) : "";
  switch (choice.option) {
    case "code":
      return "Use a verification code";
    case "sms":
      return `Text ${number}`;
    case "voice":
      return `Call ${number}`;
    case "recovery-code":
      return "Use a recovery code";
    case "push":
      return "Approve a request on my Authenticator app";
    case "passkey":
      return "Use a security key or passkey";
  }
}

function sameChoice(a: SignInChoice, b: SignInChoice): boolean {
  return a.option === b.option && a.methodId === b.methodId;
}

/** Why a registered method cannot be used to sign in now. */
export type UnusableReason = "role" | "phones_unavailable";

/**
 * Why a method of this kind cannot be used now by someone with this role, or null when it can:
 * text and call are not for helpdesk and admin accounts (R-A5.6), and are not used while texts
 * cannot be delivered (docs/decisions/0008).
 */
export function whyUnusable(kind: MethodKind, role: Role): UnusableReason | null {
  if (!kindAllowedFor(kind, role)) return "role";
  if (isPhoneKind(kind) && !phonesDeliverable()) return "phones_unavailable";
  return null;
}

/**
 * Everything the sign-in step and Security info need about a user's methods.
 *
 * `registered` is every active method: whether a second factor is needed is decided from it
 * (R-A1.5). `methods` are those usable now; the choices and the default come from them. Someone
 * whose registered methods are all unusable is `blocked`: refused, never let through on the
 * password alone and never sent to register another method.
 */
export async function getMethodSummary(db: Executor, userId: string) {
  const [registered, recoveryCodesLeft, [account]] = await Promise.all([
    listMethods(db, userId),
    countRecoveryCodes(db, userId),
    db.select({ role: users.role }).from(users).where(eq(users.id, userId)),
  ]);
  const role: Role = account?.role ?? "user";
  const methods = registered.filter((m) => whyUnusable(m.kind, role) === null);
  const blockedBy =
    methods.length === 0
      ? [...new Set(registered.map((m) => whyUnusable(m.kind, role)!))]
      : ([] as UnusableReason[]);
  const choices: SignInChoice[] = [];
  for (const method of methods) {
    for (const option of METHOD_KIND_INFO[method.kind].signInOptions) {
      const choice = { option, methodId: SIGN_IN_OPTIONS[option].perMethod ? method.id : null };
      if (!choices.some((c) => sameChoice(c, choice))) choices.push(choice);
    }
  }
  // Recovery codes are a backup: they only count alongside a real method.
  if (recoveryCodesLeft > 0 && methods.length > 0)
    choices.push({ option: "recovery-code", methodId: null });
  const defaultMethod = effectiveDefault(methods);
  const defaultChoice: SignInChoice | undefined = defaultMethod && {
    option: preferredOption(defaultMethod),
    methodId: SIGN_IN_OPTIONS[preferredOption(defaultMethod)].perMethod ? defaultMethod.id : null,
  };
  return {
    role,
    registered,
    methods,
    /** Why none of the registered methods can be used now; empty when one can or none exist. */
    blockedBy,
    recoveryCodesLeft,
    defaultMethod,
    defaultChoice,
    choices,
    /** The choice named by a request, if this user has it. */
    findChoice(option: unknown, methodId: unknown): SignInChoice | undefined {
      return choices.find(
        (c) => c.option === option && (c.methodId === null || c.methodId === methodId),
      );
    },
  };
}

export type MethodSummary = Awaited<ReturnType<typeof getMethodSummary>>;

/** What a default can be: each method with each of its options ("Phone - text", "Phone - call"). */
export function defaultCandidates(summary: MethodSummary) {
  const strongExists = summary.methods.some((m) => !METHOD_KIND_INFO[m.kind].restricted);
  return summary.methods
    .filter((m) => !strongExists || !METHOD_KIND_INFO[m.kind].restricted)
    .flatMap((method) =>
      METHOD_KIND_INFO[method.kind].signInOptions.map((option) => ({
        method,
        option,
        value: `${method.id}:${option}`,
      })),
    );
}

export function isOptionOf(kind: MethodKind, option: unknown): option is SignInOptionId {
  return (METHOD_KIND_INFO[kind].signInOptions as readonly unknown[]).includes(option);
}

/**
 * Makes one of the user's methods the default, in the caller's transaction; for a phone, also
 * whether it texts or calls.
 */
export async function setDefaultMethod(
  db: Executor,
  userId: string,
  methodId: string,
  option?: SignInOptionId,
): Promise<boolean> {
  const method = await getOwnMethod(db, userId, methodId);
  if (!method || (option !== undefined && !isOptionOf(method.kind, option))) return false;
  await db
    .update(mfaMethods)
    .set({ isDefault: false })
    .where(and(eq(mfaMethods.userId, userId), eq(mfaMethods.isDefault, true)));
  await db
    .update(mfaMethods)
    .set({
      isDefault: true,
      ...(option && METHOD_KIND_INFO[method.kind].signInOptions.length > 1
        ? { data: { ...method.data, channel: option } }
        : {}),
    })
    .where(eq(mfaMethods.id, method.id));
  return true;
}

/** Deletes one of the user's methods; the caller enforces the removal rules (R-A9.5). */
export async function deleteOwnMethod(
  db: Executor,
  userId: string,
  methodId: string,
): Promise<boolean> {
  const deleted = await db
    .delete(mfaMethods)
    .where(and(eq(mfaMethods.id, methodId), eq(mfaMethods.userId, userId)))
    .returning({ id: mfaMethods.id });
  return deleted.length === 1;
}

/** Removes enrolments that were started but never confirmed. */
export async function purgeAbandonedEnrolments(db: Executor): Promise<void> {
  await db
    .delete(mfaMethods)
    .where(and(eq(mfaMethods.status, "pending"), lt(mfaMethods.expiresAt, sql`now()`)));
}
