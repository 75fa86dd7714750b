import { and, eq, sql } from "drizzle-orm";
import type { Executor } from "@/lib/db/client";
import { mfaMethods } from "@/lib/db/schema";
import { methodAdded, refused, type Activation, type EnrolmentResult } from "./enrolment-result";
import { hasDefaultMethod } from "./methods";
import { recordVerifiedNumber } from "./former-phone-numbers";
import { maskPhone } from "./phone-numbers";
import { limitFor, METHOD_KIND_INFO, type PhoneKind } from "./registry";
import { checkTextCode, consumeApprovedCall, type ChallengeBinding } from "./phone-challenges";
import { getOwnPhone, type PhoneChannel, type PhoneMethod } from "./phone";
import { databaseNowPlus } from "@/lib/db/time";

// Registering a phone (R-A5.5): a pending method that becomes active only once a code sent to it
// is entered or a call to it is answered with "#"; a "Change" replaces the phone it names.

const ENROLMENT_TTL_MS = 30 * 60_000;

export type PhoneEnrolment = {
  kind: PhoneKind;
  e164: string;
  extension: string | null;
  channel: PhoneChannel;
  /** "Change": the phone this one replaces once verified. */
  replaces: string | null;
  /** The registration (sign-in or session) that may finish it. */
  bindingId: string;
};

/** The challenges of a phone registration belong to it alone (R-A1.6). */
export function enrolmentBinding(userId: string, bindingId: string): ChallengeBinding {
  return { userId, purpose: "enrol", transactionId: bindingId };
}

/**
 * Starts registering a phone: a pending method that becomes active only when verified. One phone
 * of each type; a restarted registration replaces the abandoned one. A "Change" must name one of
 * the person's own phones of that type.
 */
export async function beginPhoneEnrolment(
  db: Executor,
  userId: string,
  enrolment: PhoneEnrolment,
): Promise<EnrolmentResult<string>> {
  // Alone this is a transaction; inside a caller's, a savepoint (docs/architecture.md).
  return db.transaction(async (tx) => {
    const existing = await tx
      .select({ id: mfaMethods.id })
      .from(mfaMethods)
      .where(
        and(
          eq(mfaMethods.userId, userId),
          eq(mfaMethods.kind, enrolment.kind),
          eq(mfaMethods.status, "active"),
        ),
      );
    const others = existing.filter((row) => row.id !== enrolment.replaces);
    if (others.length >= limitFor(enrolment.kind)) return refused("limit_reached");
    if (enrolment.replaces && !existing.some((row) => row.id === enrolment.replaces)) {
      return refused("not_found");
    }
    await tx
      .delete(mfaMethods)
      .where(and(eq(mfaMethods.userId, userId), eq(mfaMethods.status, "pending")));
    const id = crypto.randomUUID();
    await tx.insert(mfaMethods).values({
      id,
      userId,
      kind: enrolment.kind,
      label: maskPhone(enrolment.e164),
      status: "pending",
      data: {
        e164: enrolment.e164,
        extension: enrolment.extension,
        channel: enrolment.channel,
        replaces: enrolment.replaces,
        bindingId: enrolment.bindingId,
      },
      expiresAt: databaseNowPlus(ENROLMENT_TTL_MS),
    });
    return { ok: true, value: id };
  });
}

/**
 * Activates a verified pending phone. A "Change" removes the phone it replaces, keeping its
 * default flag; returns the replaced number so the old number can be told (R-A5.5, R-A15.2).
 */
export async function activatePhone(
  db: Executor,
  userId: string,
  methodId: string,
): Promise<{ phone: PhoneMethod; replaced: PhoneMethod | null } | null> {
  const phone = await getOwnPhone(db, userId, methodId);
  if (!phone || phone.status !== "pending") return null;
  const replaced = phone.replaces ? await getOwnPhone(db, userId, phone.replaces) : null;
  let wasDefault = false;
  if (replaced) {
    const [gone] = await db
      .delete(mfaMethods)
      .where(and(eq(mfaMethods.id, replaced.id), eq(mfaMethods.userId, userId)))
      .returning({ isDefault: mfaMethods.isDefault });
    wasDefault = gone?.isDefault ?? false;
  }
  const hasDefault = await hasDefaultMethod(db, userId);
  const activated = await db
    .update(mfaMethods)
    .set({
      status: "active",
      confirmedAt: sql`now()`,
      lastUsedAt: sql`now()`,
      expiresAt: null,
      isDefault: wasDefault || !hasDefault,
      data: {
        e164: phone.e164,
        extension: phone.extension,
        channel: phone.channel,
      },
    })
    .where(and(eq(mfaMethods.id, phone.id), eq(mfaMethods.status, "pending")))
    .returning({ id: mfaMethods.id });
  if (activated.length !== 1) return null;
  if (METHOD_KIND_INFO[phone.kind].signInOptions.includes("sms")) {
    await recordVerifiedNumber(db, userId, phone.id, phone.e164);
  }
  return { phone: { ...phone, status: "active" }, replaced };
}

/**
 * Finishes registering a phone with what proves it is the person's: the code texted to it, or a
 * call to it answered with "#". A change is told to the old number too (R-A5.5, R-A15.2).
 */
export async function confirmPhoneEnrolment(
  db: Executor,
  binding: ChallengeBinding,
  methodId: string,
  answer: { code: string } | { callId: string },
): Promise<EnrolmentResult<Activation>> {
  const proven =
    "code" in answer
      ? await checkTextCode(db, binding, { methodId }, answer.code)
      : (await consumeApprovedCall(db, binding, answer.callId)) === methodId;
  if (!proven) return refused("wrong_code");
  const activated = await activatePhone(db, binding.userId, methodId);
  if (!activated) return refused("not_found");
  const { phone, replaced } = activated;
  const kindName = METHOD_KIND_INFO[phone.kind].listName;
  if (!replaced) {
    return {
      ok: true,
      value: methodAdded(phone.kind, phone.id, `${kindName} ${maskPhone(phone.e164)}`, {
        replaces: null,
      }),
    };
  }
  return {
    ok: true,
    value: {
      methodId: phone.id,
      audit: {
        action: "mfa.phone.changed",
        details: { kind: phone.kind, methodId: phone.id, replaces: replaced.id },
      },
      notice: {
        event: "phone.changed",
        detail: `${kindName}: ${maskPhone(replaced.e164)} was replaced by ${maskPhone(phone.e164)}.`,
        // By text, without a link: the old number may be the only way the owner hears of it.
        options: { smsTo: replaced.e164 },
      },
    },
  };
}
