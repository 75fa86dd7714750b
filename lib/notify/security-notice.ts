import type { Executor } from "@/lib/db/client";
import { getEnv } from "@/lib/env";
import { queueMessage } from "./outbox";

/** Security events a person is told about (R-A15.1). */
export const NOTICE_EVENTS = [
  "method.added",
  "method.removed",
  "method.default_changed",
  "recovery_codes.regenerated",
  "recovery_code.used",
  "sessions.signed_out_everywhere",
  "mfa.locked",
  "mfa.replay",
] as const;
export type NoticeEvent = (typeof NOTICE_EVENTS)[number];

const NOTICES: Record<NoticeEvent, { subject: string; what: (detail: string) => string }> = {
  "method.added": {
    subject: "A sign-in method was added",
    what: (d) => `A sign-in method was added to your account: ${d}.`,
  },
  "method.removed": {
    subject: "A sign-in method was removed",
    what: (d) => `A sign-in method was removed from your account: ${d}.`,
  },
  "method.default_changed": {
    subject: "Your default sign-in method changed",
    what: (d) => `Your default sign-in method is now: ${d}.`,
  },
  "recovery_codes.regenerated": {
    subject: "New recovery codes were created",
    what: () => "New recovery codes were created for your account. Your old codes no longer work.",
  },
  "recovery_code.used": {
    subject: "A recovery code was used",
    what: (d) => `A recovery code was used to sign in to your account. ${d}`,
  },
  "sessions.signed_out_everywhere": {
    subject: "You were signed out everywhere",
    what: () =>
      "Your account was signed out on every browser and device except the one that asked.",
  },
  "mfa.locked": {
    subject: "Verification paused after failed attempts",
    what: () =>
      "Several wrong verification codes were entered after your password. Verification is paused for a while.",
  },
  "mfa.replay": {
    subject: "A used verification code was entered again",
    what: () =>
      "Someone entered a verification code that had already been used, right after your password.",
  },
};

type Recipient = { id: string; email: string; displayName: string };
type Context = { ip: string | null; userAgent: string | null };

/**
 * Queues the email that tells a person about a security change, in the caller's transaction
 * (R-A15.3: what, when, where from; never a code or a sign-in link).
 */
export async function queueSecurityNotice(
  db: Executor,
  user: Recipient,
  event: NoticeEvent,
  context: Context,
  detail = "",
): Promise<void> {
  const { ORG_NAME, HELPDESK_EMAIL, PUBLIC_URL } = getEnv();
  const notice = NOTICES[event];
  const when = new Intl.DateTimeFormat("en-GB", {
    dateStyle: "full",
    timeStyle: "long",
    timeZone: "UTC",
  }).format(new Date());
  const body = [
    `Hello ${user.displayName},`,
    "",
    notice.what(detail),
    "",
    `When: ${when}`,
    `From address: ${context.ip ?? "unknown"}`,
    `Browser: ${context.userAgent ?? "unknown"}`,
    "",
    "If this was you, there is nothing to do.",
    `If it wasn't you, go to ${PUBLIC_URL}/security-info yourself (do not follow links in messages you did not expect), ` +
      `change your password, and contact the helpdesk at ${HELPDESK_EMAIL}.`,
    "",
    `${ORG_NAME} security`,
  ].join("\n");
  await queueMessage(db, {
    userId: user.id,
    channel: "email",
    recipient: user.email,
    subject: notice.subject,
    body,
  });
}
