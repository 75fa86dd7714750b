"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import type { ActionState } from "@/lib/actions/form-action";
import { getRegistrant } from "@/lib/auth/registrant";
import { getDb } from "@/lib/db/client";
import { getEnv } from "@/lib/env";
import { confirmEnrolment } from "@/lib/auth/enrolment";
import { getMethodSummary } from "@/lib/mfa/methods";
import { getPendingPhone, type PhoneChannel } from "@/lib/mfa/phone";
import { sendPhoneChallenge } from "@/lib/mfa/phone-challenges";
import {
  beginPhoneEnrolment,
  confirmPhoneEnrolment,
  enrolmentBinding,
} from "@/lib/mfa/phone-enrolment";
import { parsePhone } from "@/lib/mfa/phone-numbers";
import {
  kindOffered,
  limitReachedMessage,
  METHOD_KIND_INFO,
  PHONE_KINDS,
} from "@/lib/mfa/registry";
import { normaliseOtp } from "@/lib/mfa/second-factor";
import { getRequestContext } from "@/lib/security/request-context";
import { enrolmentRequest, THROTTLED_MESSAGE } from "../enrolment";

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
 * Where the wizard waits for the phone: the code page or the call page, with what happened to
 * the last send. A refused send is told only as a wait, the same whoever the number belongs to
 * (R-A5.4); the page reads the wait itself.
 */
function stepFor(channel: PhoneChannel, notice?: "limit" | "sent" | "dead"): string {
  const path = channel === "sms" ? "/register/phone/code" : "/register/phone/call";
  return notice ? `${path}?notice=${notice}` : path;
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
    return { status: "error", fieldErrors: { number: [PHONE_PROBLEMS[phone.reason]] }, values };
  }
  const begun = await beginPhoneEnrolment(db, registrant.user.id, {
    kind,
    e164: phone.phone.e164,
    extension: kind === "office_phone" && extension ? extension : null,
    channel,
    replaces: replaces ?? null,
    bindingId: registrant.bindingId,
  });
  // A "Change" naming a phone that is not the person's is answered like a taken type (R-A9.4).
  if (!begun.ok) return { status: "error", message: limitReachedMessage(kind) };
  const sent = await sendPhoneChallenge(
    db,
    registrant.user,
    enrolmentBinding(registrant.user.id, registrant.bindingId),
    begun.value,
    channel,
    await getRequestContext(),
  );
  // Held back, the phone is still being registered: its page counts down to the next send.
  if (!sent.ok && sent.reason === "limit") redirect(stepFor(channel, "limit"));
  if (!sent.ok) return { status: "error", message: PHONE_PROBLEMS.invalid, values };
  redirect(stepFor(channel));
}

/** "Resend code" / "Call me again" while registering; the page then says what happened. */
export async function resendPhoneAction(formData: FormData): Promise<void> {
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
    enrolmentBinding(registrant.user.id, registrant.bindingId),
    pending.id,
    channel,
    await getRequestContext(),
  );
  if (!sent.ok) redirect(stepFor(channel, sent.reason === "limit" ? "limit" : "dead"));
  redirect(stepFor(channel, channel === "sms" ? "sent" : undefined));
}

/** "Enter code" → "Next" for a phone being registered; wrong codes are counted (R-A11). */
export async function confirmPhoneCodeAction(
  _previous: ActionState,
  formData: FormData,
): Promise<ActionState> {
  const registrant = await getRegistrant();
  if (!registrant) redirect("/signin");
  const db = await getDb();
  const pending = await getPendingPhone(db, registrant.user.id, registrant.bindingId);
  if (!pending) redirect("/register/phone");
  const binding = enrolmentBinding(registrant.user.id, registrant.bindingId);
  const result = await confirmEnrolment(db, {
    enrolee: registrant,
    kind: pending.kind,
    proof: "sms",
    answer: normaliseOtp(formData.get("code")),
    confirm: (tx, code) => confirmPhoneEnrolment(tx, binding, pending.id, { code }),
    ...(await enrolmentRequest()),
  });
  if (!result.ok) {
    if (result.reason === "malformed") {
      return {
        status: "error",
        fieldErrors: { code: ["Enter the 6-digit code from the text message."] },
      };
    }
    return {
      status: "error",
      message:
        result.reason === "throttled"
          ? THROTTLED_MESSAGE
          : "That code didn't work. Check the latest text we sent, or choose Resend code.",
    };
  }
  redirect("/register/phone/verified?via=sms");
}

/**
 * The call was answered with "#": the page submits this by itself. The phone becomes a method
 * (replacing the phone it changes) and, mid-sign-in, the second factor (R-A9.2).
 */
export async function confirmPhoneCallAction(
  _previous: ActionState,
  formData: FormData,
): Promise<ActionState> {
  const registrant = await getRegistrant();
  if (!registrant) redirect("/signin");
  const db = await getDb();
  const pending = await getPendingPhone(db, registrant.user.id, registrant.bindingId);
  if (!pending) redirect("/register/phone");
  const binding = enrolmentBinding(registrant.user.id, registrant.bindingId);
  const result = await confirmEnrolment(db, {
    enrolee: registrant,
    kind: pending.kind,
    proof: "voice",
    answer: String(formData.get("challenge") ?? ""),
    confirm: (tx, callId) => confirmPhoneEnrolment(tx, binding, pending.id, { callId }),
    ...(await enrolmentRequest()),
  });
  if (!result.ok) {
    return { status: "error", message: "The call was not approved. Call again, or go back." };
  }
  redirect("/register/phone/verified?via=call");
}
