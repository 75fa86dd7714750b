import type { AuditAction } from "@/lib/audit/events";
import type { AuditEntry } from "@/lib/audit/log";
import type { NoticeEvent, NoticeOptions } from "@/lib/notify/security-notice";
import type { MethodKind } from "./registry";
import type { Result } from "@/lib/types/result";

// The one interface every kind of method enrols through: each kind's begin and confirm steps
// answer with an EnrolmentResult, and a confirm step's value is an Activation that
// confirmEnrolment (./enrolment.ts) records and tells the person about. Kept free of the use
// case's imports so that every kind's module can depend on it.

export type EnrolmentRefusal =
  /** Too many wrong codes lately: nothing was checked (R-A11). */
  | "throttled"
  /** Not a code at all: counted like a wrong one (R-A4.7). */
  | "malformed"
  /** The answer did not prove the device, or nothing was waiting for one: counted. */
  | "wrong_code"
  /** The person has as many of the kind as the registry allows (limitReachedMessage). */
  | "limit_reached"
  /** Nothing of the person's to enrol: a foreign or unknown id is the same (R-A9.4). */
  | "not_found"
  /** A passkey the server's own rules refuse (R-A7.2, R-A7.4). */
  | "invalid"
  /** A passkey registered already. */
  | "duplicate";

/** What every step of every kind's enrolment answers. */
export type EnrolmentResult<T> = Result<
  { value: T },
  EnrolmentRefusal,
  { retryAfterSeconds?: number }
>;

/** A refusal, typed to fit any step's result. */
export function refused(reason: EnrolmentRefusal): { ok: false; reason: EnrolmentRefusal } {
  return { ok: false, reason };
}

/** A method a kind's confirm step made active, and how the record and the notice name it. */
export type Activation = {
  methodId: string;
  /** Details never hold a secret (R-A16.3). */
  audit: { action: AuditAction; details: AuditEntry["details"] };
  notice: { event: NoticeEvent; detail: string; options?: NoticeOptions };
};

/** The usual activation: "mfa.method.added" with the kind and id, and the "method added" notice. */
export function methodAdded(
  kind: MethodKind,
  methodId: string,
  noticeDetail: string,
  details: AuditEntry["details"] = {},
): Activation {
  return {
    methodId,
    audit: { action: "mfa.method.added", details: { kind, methodId, ...details } },
    notice: { event: "method.added", detail: noticeDetail },
  };
}
