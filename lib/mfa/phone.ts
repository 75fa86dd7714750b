import { and, desc, eq, gt, sql } from "drizzle-orm";
import type { Executor } from "@/lib/db/client";
import { mfaMethods } from "@/lib/db/schema";
import { isPhoneKind, type MethodData, type PhoneKind } from "./registry";
import { isUuid } from "@/lib/security/ids";

// Phone methods (R-A5): a number becomes a method only once a code sent to it is entered or a
// call to it is answered with "#" (R-A5.5): see phone-enrolment.ts. Codes and calls are
// challenges (phone-challenges.ts), sent within limits per person and number
// (phone-send-limits.ts).

export type PhoneChannel = "sms" | "voice";
export type ChallengePurpose = "enrol" | "sign_in" | "step_up" | "password_reset" | "recovery";

export type PhoneMethod = {
  id: string;
  kind: PhoneKind;
  status: "pending" | "active";
  e164: string;
  extension: string | null;
  channel: PhoneChannel;
  replaces: string | null;
  /** While pending: the registration (sign-in or session) it belongs to. */
  bindingId: string | null;
};

export function toPhoneMethod(row: {
  id: string;
  kind: string;
  status: "pending" | "active";
  data: MethodData | null;
}): PhoneMethod | null {
  if (!isPhoneKind(row.kind) || typeof row.data?.e164 !== "string") return null;
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    e164: row.data.e164,
    extension: typeof row.data.extension === "string" ? row.data.extension : null,
    channel: row.data.channel === "voice" ? "voice" : "sms",
    replaces: typeof row.data.replaces === "string" ? row.data.replaces : null,
    bindingId: typeof row.data.bindingId === "string" ? row.data.bindingId : null,
  };
}

export const phoneColumns = {
  id: mfaMethods.id,
  kind: mfaMethods.kind,
  status: mfaMethods.status,
  data: mfaMethods.data,
};

/** One of the user's phone methods (active, or pending while registering); foreign ids are null. */
export async function getOwnPhone(
  db: Executor,
  userId: string,
  methodId: string,
): Promise<PhoneMethod | null> {
  if (!isUuid(methodId)) return null;
  const [row] = await db
    .select(phoneColumns)
    .from(mfaMethods)
    .where(and(eq(mfaMethods.id, methodId), eq(mfaMethods.userId, userId)));
  return row ? toPhoneMethod(row) : null;
}

/** The user's unexpired phone registration in progress, started by this registration. */
export async function getPendingPhone(
  db: Executor,
  userId: string,
  bindingId: string,
): Promise<PhoneMethod | null> {
  const rows = await db
    .select(phoneColumns)
    .from(mfaMethods)
    .where(
      and(
        eq(mfaMethods.userId, userId),
        eq(mfaMethods.status, "pending"),
        gt(mfaMethods.expiresAt, sql`now()`),
        sql`${mfaMethods.data}->>'bindingId' = ${bindingId}`,
      ),
    )
    .orderBy(desc(mfaMethods.createdAt))
    .limit(1);
  return rows[0] ? toPhoneMethod(rows[0]) : null;
}
