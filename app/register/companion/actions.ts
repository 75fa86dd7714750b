"use server";

import { redirect } from "next/navigation";
import type { ActionState } from "@/lib/actions/form-action";
import { writeAudit } from "@/lib/audit/log";
import { readBrowserState } from "@/lib/auth/browser-cookies";
import { mfaThrottlePolicy } from "@/lib/settings/policy";
import { getRegistrant } from "@/lib/auth/registrant";
import { recordSecondFactor } from "@/lib/auth/sign-in";
import { requireFreshSession } from "@/lib/auth/sign-in-flow";
import { getDb } from "@/lib/db/client";
import {
  beginPairing,
  confirmPairedPhone,
  listOtherPhones,
  TooManyPhonesError,
} from "@/lib/mfa/companion";
import {
  deleteOwnMethod,
  getMethodSummary,
  getOwnMethod,
  setDefaultMethod,
} from "@/lib/mfa/methods";
import { METHOD_KIND_INFO } from "@/lib/mfa/registry";
import { normaliseOtp } from "@/lib/mfa/second-factor";
import { queueSecurityNotice } from "@/lib/notify/security-notice";
import { getRequestContext } from "@/lib/security/request-context";
import { getThrottle, recordFailure, resetThrottle } from "@/lib/security/throttle";

export type PairingLinkState =
  | { status: "idle" }
  | { status: "error"; message: string }
  | { status: "ready"; link: string; expiresAt: string };

/**
 * "Show QR code": a one-time pairing link for this registrant (R-A6.5: only from an
 * authenticated session with a fresh second factor, or a sign-in that must register).
 */
export async function beginPairingAction(): Promise<PairingLinkState> {
  const registrant = await getRegistrant();
  if (!registrant) redirect("/signin");
  try {
    const { link, expiresAt } = await beginPairing(await getDb(), registrant.user.id);
    return { status: "ready", link, expiresAt: expiresAt.toISOString() };
  } catch (error) {
    if (error instanceof TooManyPhonesError) {
      return {
        status: "error",
        message: `You already have ${METHOD_KIND_INFO.companion_app.maxPerUser} paired phones. Delete one in Security info before adding another.`,
      };
    }
    throw error;
  }
}

/**
 * "Enter code" → "Next": the code the paired phone shows binds it (R-A4.4) and, mid-sign-in,
 * counts as the second factor (R-A9.2). With another phone already paired, offers to remove it.
 */
export async function confirmPairingAction(
  _previous: ActionState,
  formData: FormData,
): Promise<ActionState> {
  const registrant = await getRegistrant();
  if (!registrant) redirect("/signin");
  const input = formData.get("code");
  const code = typeof input === "string" ? normaliseOtp(input) : null;
  const db = await getDb();
  const throttleKey = `${registrant.user.id}:enrol`;
  if ((await getThrottle(db, "mfa:option", throttleKey)).locked) {
    return {
      status: "error",
      message: "Too many wrong codes. Wait a few minutes, then try again.",
    };
  }
  const context = await getRequestContext();
  const confirmed = await db.transaction(async (tx) => {
    const result = code ? await confirmPairedPhone(tx, registrant.user.id, code) : null;
    if (!result) return null;
    await resetThrottle(tx, "mfa:option", throttleKey);
    await writeAudit(tx, {
      action: "mfa.method.added",
      outcome: "success",
      actorId: registrant.user.id,
      subjectId: registrant.user.id,
      ...context,
      details: { kind: "companion_app", methodId: result.methodId },
    });
    await queueSecurityNotice(
      tx,
      registrant.user,
      "method.added",
      context,
      `Authenticator app ${result.label}`,
    );
    if (registrant.transaction) {
      const stage = await recordSecondFactor(
        tx,
        registrant.transaction.transaction,
        "registration",
        "otp",
        await readBrowserState(),
      );
      if (!stage) throw new Error("sign-in transaction moved on during registration");
    }
    return result;
  });
  if (!confirmed) {
    await recordFailure(db, "mfa:option", throttleKey, mfaThrottlePolicy());
    return {
      status: "error",
      message: code
        ? "That code didn't work. Enter the code the Authenticator app on your phone shows now."
        : "Enter the 6-digit code shown in the Authenticator app.",
    };
  }
  const others = await listOtherPhones(db, registrant.user.id, confirmed.methodId);
  redirect(
    others.length > 0 && registrant.via === "session"
      ? `/register/companion/replace?new=${confirmed.methodId}`
      : "/register/success",
  );
}

/**
 * "Remove your old phone?" → "Remove": moving to a new phone is pairing it, then removing the
 * old one (R-A4.5). The same checks as Security info's Delete: fresh, owned, never the last.
 */
export async function removeOldPhoneAction(formData: FormData): Promise<void> {
  const session = await requireFreshSession("/register/companion/replace");
  const methodId = String(formData.get("methodId") ?? "");
  const context = await getRequestContext();
  await (
    await getDb()
  ).transaction(async (tx) => {
    const method = await getOwnMethod(tx, session.user.id, methodId);
    if (!method || method.kind !== "companion_app") return;
    const { methods } = await getMethodSummary(tx, session.user.id);
    const replacement = methods.find((m) => m.kind === "companion_app" && m.id !== method.id);
    if (!replacement) return;
    await deleteOwnMethod(tx, session.user.id, method.id);
    if (method.isDefault) await setDefaultMethod(tx, session.user.id, replacement.id);
    await writeAudit(tx, {
      action: "mfa.method.removed",
      outcome: "success",
      actorId: session.user.id,
      subjectId: session.user.id,
      ...context,
      details: { kind: method.kind, methodId: method.id },
    });
    await queueSecurityNotice(
      tx,
      session.user,
      "method.removed",
      context,
      `Authenticator app ${method.label}`,
    );
  });
  redirect("/register/success");
}
