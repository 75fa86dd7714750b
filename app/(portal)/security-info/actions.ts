"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { signOutEverywhereElse } from "@/lib/auth/secure-account";
import { requireFreshSession } from "@/lib/auth/sign-in-flow";
import { getDb } from "@/lib/db/client";
import { changeDefaultMethod } from "@/lib/mfa/default-method";
import { getOwnMethod } from "@/lib/mfa/methods";
import { issueRecoveryCodes } from "@/lib/mfa/recovery-codes";
import { isPhoneKind, METHOD_KIND_INFO, METHOD_KINDS, type MethodKind } from "@/lib/mfa/registry";
import { removeOwnMethod } from "@/lib/mfa/removal";
import { getRequestContext } from "@/lib/security/request-context";

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
  | "alternate-email-added"
  | "alternate-email-deleted"
  | "passkey-required";

function show(outcome: Outcome): never {
  revalidatePath(HERE);
  redirect(`${HERE}?outcome=${outcome}`);
}

/** "Add a backup method": the wizard's backup step, after a fresh second factor. */
export async function addBackupMethodAction(): Promise<void> {
  await requireFreshSession("/register/backup");
  redirect("/register/backup");
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
  const outcome = await removeOwnMethod(
    await getDb(),
    session.user,
    String(formData.get("methodId") ?? ""),
    context,
    {
      newDefaultId: String(formData.get("newDefaultId") ?? ""),
      keepNumber: formData.get("keepNumber") === "on",
    },
  );
  show(outcome === "last" ? "last-method" : outcome);
}

/** "Change default sign-in method" → "Confirm": a method, and for a phone, text or call. */
export async function changeDefaultAction(formData: FormData): Promise<void> {
  const session = await requireFreshSession(HERE);
  const changed = await changeDefaultMethod(
    await getDb(),
    session.user,
    String(formData.get("choice") ?? ""),
    await getRequestContext(),
  );
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
  await signOutEverywhereElse(await getDb(), session.user, session.id, context);
  show("signed-out-everywhere");
}
