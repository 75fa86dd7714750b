"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import type { AuditAction } from "@/lib/audit/events";
import { writeAudit, type AuditEntry } from "@/lib/audit/log";
import { signOutEverywhereElse } from "@/lib/auth/secure-account";
import { requireFreshSession } from "@/lib/auth/sign-in-flow";
import { getDb, type Executor } from "@/lib/db/client";
import {
  defaultCandidates,
  getMethodSummary,
  getOwnMethod,
  setDefaultMethod,
} from "@/lib/mfa/methods";
import { issueRecoveryCodes } from "@/lib/mfa/recovery-codes";
import {
  defaultMethodName,
  isPhoneKind,
  METHOD_KIND_INFO,
  METHOD_KINDS,
  type MethodKind,
} from "@/lib/mfa/registry";
import { removeOwnMethod } from "@/lib/mfa/removal";
import { queueSecurityNotice, type NoticeEvent } from "@/lib/notify/security-notice";
import { getRequestContext } from "@/lib/security/request-context";
import type { RequestContext } from "@/lib/types/request";

// Every action here checks the session, a second factor no older than the step-up window
// (R-A9.1) and the ownership of every id it is given (R-A9.4) — itself.

const HERE = "/security-info";

/** Outcomes shown on the page; the URL carries only the key, never text (no content spoofing). */
export type Outcome =
  | "deleted"
  | "default-changed"
  | "signed-out-everywhere"
  | "last-method"
  | "missing"
  | "passkey-required";

function show(outcome: Outcome): never {
  revalidatePath(HERE);
  redirect(`${HERE}?outcome=${outcome}`);
}

type Session = Awaited<ReturnType<typeof requireFreshSession>>;

/** A change the person made to their own account: audited and told to them, in the same transaction. */
async function recordOwnChange(
  tx: Executor,
  session: Session,
  context: RequestContext,
  change: {
    action: AuditAction;
    details?: AuditEntry["details"];
    notice: NoticeEvent;
    detail?: string;
  },
) {
  await writeAudit(tx, {
    action: change.action,
    outcome: "success",
    actorId: session.user.id,
    subjectId: session.user.id,
    ...context,
    details: change.details,
  });
  await queueSecurityNotice(tx, session.user, change.notice, context, change.detail);
}

/** "Add sign-in method" → the wizard for the chosen kind. */
export async function addMethodAction(formData: FormData): Promise<void> {
  await requireFreshSession(HERE);
  const kind = formData.get("method");
  if (!METHOD_KINDS.includes(kind as MethodKind)) redirect(HERE);
  redirect(METHOD_KIND_INFO[kind as MethodKind].registerPath);
}

/** "Delete": removes one of the person's own methods, choosing a new default when needed (R-A9.5). */
export async function deleteMethodAction(formData: FormData): Promise<void> {
  const session = await requireFreshSession(HERE);
  const context = await getRequestContext();
  const outcome = await (
    await getDb()
  ).transaction((tx) =>
    removeOwnMethod(
      tx,
      session.user,
      String(formData.get("methodId") ?? ""),
      context,
      String(formData.get("newDefaultId") ?? ""),
    ),
  );
  show(outcome === "last" ? "last-method" : outcome);
}

/** "Change default sign-in method" → "Confirm": a method, and for a phone, text or call. */
export async function changeDefaultAction(formData: FormData): Promise<void> {
  const session = await requireFreshSession(HERE);
  const [methodId = "", option] = String(formData.get("choice") ?? "").split(":");
  const context = await getRequestContext();
  const changed = await (
    await getDb()
  ).transaction(async (tx) => {
    const summary = await getMethodSummary(tx, session.user.id);
    // Only what the dialog offers: never a restricted method while a stronger one exists (R-A5.6).
    const candidate = defaultCandidates(summary).find((c) => c.value === `${methodId}:${option}`);
    if (!candidate) return false;
    if (!(await setDefaultMethod(tx, session.user.id, methodId, candidate.option))) return false;
    await recordOwnChange(tx, session, context, {
      action: "mfa.default.changed",
      details: { methodId, option: candidate.option },
      notice: "method.default_changed",
      detail: defaultMethodName(candidate.method, candidate.option),
    });
    return true;
  });
  show(changed ? "default-changed" : "missing");
}

/** A phone's "Change": a new number is registered and verified, then replaces this one (R-A5.5). */
export async function changePhoneAction(formData: FormData): Promise<void> {
  const session = await requireFreshSession(HERE);
  const method = await getOwnMethod(
    await getDb(),
    session.user.id,
    String(formData.get("methodId") ?? ""),
  );
  if (!method || !isPhoneKind(method.kind)) show("missing");
  redirect(`/register/phone?type=${method.kind}&replaces=${method.id}`);
}

/** "Regenerate recovery codes": replaces them all (R-A8.4) and shows the new ones once. */
export async function regenerateRecoveryCodesAction(): Promise<{
  codes?: string[];
  error?: string;
}> {
  const session = await requireFreshSession(HERE);
  const codes = await issueRecoveryCodes(await getDb(), session.user, await getRequestContext());
  return { codes };
}

/** "Lost device? Sign out everywhere": every other session, remembered browser and sign-in in progress ends now. */
export async function signOutEverywhereAction(): Promise<void> {
  const session = await requireFreshSession(HERE);
  const context = await getRequestContext();
  await (
    await getDb()
  ).transaction((tx) => signOutEverywhereElse(tx, session.user, session.id, context));
  show("signed-out-everywhere");
}
