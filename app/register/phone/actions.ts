"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import type { ActionState } from "@/lib/actions/form-action";
import { writeAudit } from "@/lib/audit/log";
import { readBrowserState } from "@/lib/auth/browser-cookies";
import { mfaThrottlePolicy } from "@/lib/settings/policy";
import { getRegistrant, type Registrant } from "@/lib/auth/registrant";
import { recordSecondFactor } from "@/lib/auth/sign-in";
import { getDb, type Executor } from "@/lib/db/client";
import { getEnv } from "@/lib/env";
import { getMethodSummary } from "@/lib/mfa/methods";
import {
  activatePhone,
  beginPhoneEnrolment,
  checkTextCode,
  consumeApprovedCall,
  getPendingPhone,
  PhoneKindTakenError,
  sendPhoneChallenge,
  type PhoneChannel,
} from "@/lib/mfa/phone";
import { maskPhone, parsePhone } from "@/lib/mfa/phone-numbers";
import { kindOffered, METHOD_KIND_INFO, PHONE_KINDS } from "@/lib/mfa/registry";
import { normaliseOtp } from "@/lib/mfa/second-factor";
import { queueSecurityNotice } from "@/lib/notify/security-notice";
import { getRequestContext } from "@/lib/security/request-context";
import { getThrottle, recordFailure, resetThrottle } from "@/lib/security/throttle";

// Registering a phone (R-A5.5): the number becomes a method only when the code sent to it is
// entered or the call to it is answered with "#". Every action checks the registrant itself.

const phoneFormSchema = z.object({
  kind: z.enum(PHONE_KINDS),
  country: z.string().regex(/^[A-Z]{2}$/, "Choose a country code."),
  number: z.string().trim().min(1, "Enter your phone number.").max(30, "That number is too long."),
  extension: z
    .string()
    .trim()
    .regex(/^\d{0,10}$/, "An extension is up to 10 digits.")
    .default(""),
  channel: z.enum(["sms", "voice"], { message: "Choose how to get your code." }),
  replaces: z.string().uuid().optional(),
});

const PHONE_PROBLEMS = {
  invalid: "That doesn't look like a phone number for the country chosen. Check the number.",
  country_not_allowed: "Your organisation doesn't allow phone numbers from that country.",
  not_mobile: 'This number can\'t receive texts. Choose "Call me", or use a mobile number.',
} as const;

/**
 * The answer to a refused send: the same whatever the reason and whoever the number belongs to,
 * so it tells nothing about other people's use of a number (R-A5.4).
 */
const LIMIT_MESSAGE =
  "We can't send another text or call to this number yet. Wait a few minutes, then try again.";

/** Where the wizard waits for the phone: the code page or the call page. */
function stepFor(channel: PhoneChannel): string {
  return channel === "sms" ? "/register/phone/code" : "/register/phone/call";
}

/** "Phone" → "Next": a pending phone, and a code or a call to it. */
export async function beginPhoneAction(
  _previous: ActionState,
  formData: FormData,
): Promise<ActionState> {
  const registrant = await getRegistrant();
  if (!registrant) redirect("/signin");
  const parsed = phoneFormSchema.safeParse({
    kind: formData.get("kind") ?? undefined,
    country: formData.get("country") ?? undefined,
    number: formData.get("number") ?? undefined,
    extension: formData.get("extension") ?? undefined,
    channel: formData.get("channel") ?? undefined,
    replaces: formData.get("replaces") || undefined,
  });
  const values = {
    country: String(formData.get("country") ?? "").slice(0, 2),
    number: String(formData.get("number") ?? "").slice(0, 30),
  };
  if (!parsed.success) {
    const fieldErrors: Record<string, string[]> = {};
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0]);
      (fieldErrors[key === "kind" || key === "replaces" ? "form" : key] ??= []).push(issue.message);
    }
    return { status: "error", fieldErrors, message: fieldErrors.form?.join(" "), values };
  }
  const { kind, country, number, extension, channel, replaces } = parsed.data;
  const db = await getDb();
  const { role } = await getMethodSummary(db, registrant.user.id);
  if (!kindOffered(kind, role)) {
    return {
      status: "error",
      message:
        "Accounts with helpdesk or admin roles can't use text or call. Use an authenticator app.",
    };
  }
  if (!METHOD_KIND_INFO[kind].signInOptions.includes(channel)) {
    return { status: "error", fieldErrors: { channel: [PHONE_PROBLEMS.not_mobile] }, values };
  }
  const phone = parsePhone(number, country, {
    allowedCountries: getEnv().PHONE_ALLOWED_COUNTRIES.split(",").filter(Boolean),
    needsMobile: channel === "sms",
  });
  if (!phone.ok) {
    return { status: "error", fieldErrors: { number: [PHONE_PROBLEMS[phone.problem]] }, values };
  }
  let methodId: string;
  try {
    methodId = await db.transaction((tx) =>
      beginPhoneEnrolment(tx, registrant.user.id, {
        kind,
        e164: phone.phone.e164,
        extension: kind === "office_phone" && extension ? extension : null,
        channel,
        replaces: replaces ?? null,
        bindingId: registrant.bindingId,
      }),
    );
  } catch (error) {
    if (error instanceof PhoneKindTakenError) {
      return {
        status: "error",
        message: `You already have a ${METHOD_KIND_INFO[kind].listName.toLowerCase()}. Change it in Security info instead.`,
      };
    }
    throw error;
  }
  const sent = await sendPhoneChallenge(
    db,
    registrant.user,
    { userId: registrant.user.id, purpose: "enrol", transactionId: registrant.bindingId },
    methodId,
    channel,
    await getRequestContext(),
  );
  if (!sent.ok) {
    return {
      status: "error",
      message: sent.reason === "limit" ? LIMIT_MESSAGE : PHONE_PROBLEMS.invalid,
      values,
    };
  }
  redirect(stepFor(channel));
}

/** "Resend code" / "Call me again" while registering. */
export async function resendPhoneAction(
  _previous: ActionState,
  formData: FormData,
): Promise<ActionState> {
  const registrant = await getRegistrant();
  if (!registrant) redirect("/signin");
  const db = await getDb();
  const pending = await getPendingPhone(db, registrant.user.id, registrant.bindingId);
  if (!pending) redirect("/register/phone");
  // The channel the number was registered for: a number checked only for calls is never texted.
  const channel =
    formData.get("channel") === "voice" || pending.channel === "voice" ? "voice" : "sms";
  const sent = await sendPhoneChallenge(
    db,
    registrant.user,
    { userId: registrant.user.id, purpose: "enrol", transactionId: registrant.bindingId },
    pending.id,
    channel,
    await getRequestContext(),
  );
  if (!sent.ok) {
    return {
      status: "error",
      message:
        sent.reason === "limit"
          ? LIMIT_MESSAGE
          : "This code can't be used any more. Start again with your phone number.",
    };
  }
  if (channel === "voice") redirect("/register/phone/call");
  return { status: "success", message: `We sent a new code to ${maskPhone(pending.e164)}.` };
}

/**
 * The phone is verified: it becomes a method (replacing the phone it changes), audited and told
 * to the person — a change also to the old number (R-A15.2) — and, mid-sign-in, it counts as the
 * second factor (R-A9.2). One transaction.
 */
async function finishPhoneRegistration(
  tx: Executor,
  registrant: Registrant,
  methodId: string,
  amr: string,
): Promise<boolean> {
  const context = await getRequestContext();
  const activated = await activatePhone(tx, registrant.user.id, methodId);
  if (!activated) return false;
  const { phone, replaced } = activated;
  const kindName = METHOD_KIND_INFO[phone.kind].listName;
  await writeAudit(tx, {
    action: replaced ? "mfa.phone.changed" : "mfa.method.added",
    outcome: "success",
    actorId: registrant.user.id,
    subjectId: registrant.user.id,
    ...context,
    details: { kind: phone.kind, methodId: phone.id, replaces: replaced?.id ?? null },
  });
  if (replaced) {
    // The old number is told too, by text, without a link (R-A5.5, R-A15.2).
    await queueSecurityNotice(
      tx,
      registrant.user,
      "phone.changed",
      context,
      `${kindName}: ${maskPhone(replaced.e164)} was replaced by ${maskPhone(phone.e164)}.`,
      { smsTo: replaced.e164 },
    );
  } else {
    await queueSecurityNotice(
      tx,
      registrant.user,
      "method.added",
      context,
      `${kindName} ${maskPhone(phone.e164)}`,
    );
  }
  if (registrant.transaction) {
    const stage = await recordSecondFactor(
      tx,
      registrant.transaction.transaction,
      "registration",
      amr,
      await readBrowserState(),
    );
    if (!stage) throw new Error("sign-in transaction moved on during registration");
  }
  return true;
}

/** "Enter code" → "Next" for a phone being registered; wrong codes are counted (R-A11). */
export async function confirmPhoneCodeAction(
  _previous: ActionState,
  formData: FormData,
): Promise<ActionState> {
  const registrant = await getRegistrant();
  if (!registrant) redirect("/signin");
  const input = formData.get("code");
  const code = typeof input === "string" ? normaliseOtp(input) : null;
  if (!code) {
    return {
      status: "error",
      fieldErrors: { code: ["Enter the 6-digit code from the text message."] },
    };
  }
  const db = await getDb();
  const throttleKey = `${registrant.user.id}:enrol`;
  if ((await getThrottle(db, "mfa:option", throttleKey)).locked) {
    return {
      status: "error",
      message: "Too many wrong codes. Wait a few minutes, then try again.",
    };
  }
  const pending = await getPendingPhone(db, registrant.user.id, registrant.bindingId);
  if (!pending) redirect("/register/phone");
  const binding = {
    userId: registrant.user.id,
    purpose: "enrol" as const,
    transactionId: registrant.bindingId,
  };
  const confirmed = await db.transaction(async (tx) => {
    if (!(await checkTextCode(tx, binding, pending.id, code))) return false;
    await resetThrottle(tx, "mfa:option", throttleKey);
    return finishPhoneRegistration(tx, registrant, pending.id, "sms");
  });
  if (!confirmed) {
    await recordFailure(db, "mfa:option", throttleKey, mfaThrottlePolicy());
    return {
      status: "error",
      message: "That code didn't work. Check the latest text we sent, or choose Resend code.",
    };
  }
  redirect("/register/phone/verified?via=sms");
}

/** The call was answered with "#": the page submits this by itself. */
export async function confirmPhoneCallAction(
  _previous: ActionState,
  formData: FormData,
): Promise<ActionState> {
  const registrant = await getRegistrant();
  if (!registrant) redirect("/signin");
  const db = await getDb();
  const pending = await getPendingPhone(db, registrant.user.id, registrant.bindingId);
  if (!pending) redirect("/register/phone");
  const binding = {
    userId: registrant.user.id,
    purpose: "enrol" as const,
    transactionId: registrant.bindingId,
  };
  const confirmed = await db.transaction(async (tx) => {
    const methodId = await consumeApprovedCall(
      tx,
      binding,
      String(formData.get("challenge") ?? ""),
    );
    if (methodId !== pending.id) return false;
    return finishPhoneRegistration(tx, registrant, pending.id, "tel");
  });
  if (!confirmed) {
    return { status: "error", message: "The call was not approved. Call again, or go back." };
  }
  redirect("/register/phone/verified?via=call");
}
