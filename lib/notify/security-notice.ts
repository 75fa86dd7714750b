import { and, eq } from "drizzle-orm";
import type { Executor } from "@/lib/db/client";
import { alternateEmails } from "@/lib/db/schema";
import { getEnv } from "@/lib/env";
import { PIN_MAX_FAILURES } from "@/lib/settings/policy";
import { renderEmail } from "./email";
import { queueMessage } from "./outbox";
import type { RequestContext } from "@/lib/types/request";
import { clock } from "@/lib/clock";

/** Security events a person is told about (R-A15.1). */
export const NOTICE_EVENTS = [
  "method.added",
  "method.removed",
  "method.default_changed",
  "recovery_codes.regenerated",
  "recovery_code.used",
  "sessions.signed_out_everywhere",
  "remembered_browser.forgotten",
  "mfa.locked",
  "mfa.replay",
  "mfa.failed",
  "password.locked",
  "password.changed",
  "phone.changed",
  "alternate_email.changed",
  "alternate_email.removed",
  "sign_in.risky",
  "account_recovery.cancelled",
  "account_recovery.completed",
  "account.secured",
  "admin.mfa_reset",
  "admin.mfa_sessions_revoked",
  "admin.remembered_browser_forgotten",
  "admin.sessions_revoked",
  "admin.password_reset",
  "admin.account_unlocked",
  "admin.account_disabled",
  "admin.account_enabled",
  "admin.role_changed",
  "admin.method_removed",
  "access_pass.issued",
  "access_pass.locked",
  "hardware_token.assigned",
  "passkey.counter_regressed",
  "push.fraud_reported",
  "push.helpdesk_reported",
  "push.limited",
  "phone_sign_in.enabled",
  "phone_sign_in.disabled",
  "phone_sign_in.locked",
  "phone_sign_in.pin_changed",
] as const;
export type NoticeEvent = (typeof NOTICE_EVENTS)[number];

type Notice = {
  subject: string;
  /** What happened, in a sentence or two; `detail` is the caller's human text. */
  what: (detail: string) => string;
  /** The text message to a phone number on record, when the caller gives one. */
  sms: string;
};

const NOTICES: Record<NoticeEvent, Notice> = {
  "method.added": {
    subject: "A sign-in method was added",
    what: (d) => `A sign-in method was added to your account: ${d}.`,
    sms: "a sign-in method was added to your account",
  },
  "method.removed": {
    subject: "A sign-in method was removed",
    what: (d) => `A sign-in method was removed from your account: ${d}.`,
    sms: "a sign-in method was removed from your account",
  },
  "method.default_changed": {
    subject: "Your default sign-in method changed",
    what: (d) => `Your default sign-in method is now: ${d}.`,
    sms: "the default sign-in method of your account was changed",
  },
  "recovery_codes.regenerated": {
    subject: "New recovery codes were created",
    what: () => "New recovery codes were created for your account. Your old codes no longer work.",
    sms: "new recovery codes were created for your account",
  },
  "recovery_code.used": {
    subject: "A recovery code was used",
    what: (d) => `A recovery code was used to sign in to your account. ${d}`.trim(),
    sms: "a recovery code was used to sign in to your account",
  },
  "sessions.signed_out_everywhere": {
    subject: "You were signed out everywhere",
    what: () =>
      "Your account was signed out on every browser and device except the one that asked.",
    sms: "your account was signed out everywhere",
  },
  "remembered_browser.forgotten": {
    subject: "A browser asks for a verification code again",
    what: (d) =>
      `A browser where you chose "Don't ask again" was forgotten: signing in there needs a verification code again. ${d}`.trim(),
    sms: "a remembered browser was forgotten on your account",
  },
  "mfa.locked": {
    subject: "Verification paused after failed attempts",
    what: () =>
      "Several wrong verification codes were entered after your password. Verification is paused for a while.",
    sms: "several wrong verification codes were entered after your password",
  },
  "password.locked": {
    subject: "Sign-in paused after wrong passwords",
    what: () =>
      "Several wrong passwords were entered for your account, so signing in with a password is paused for a while.",
    sms: "several wrong passwords were entered for your account",
  },
  "mfa.failed": {
    subject: "Your password was used, but verification failed",
    what: () =>
      "Someone entered your password correctly, then a wrong verification code. If it wasn't you, change your password now.",
    sms: "your password was entered, then a wrong verification code",
  },
  "mfa.replay": {
    subject: "A used verification code was entered again",
    what: () =>
      "Someone entered a verification code that had already been used, right after your password.",
    sms: "a used verification code was entered again after your password",
  },
  "password.changed": {
    subject: "Your password was changed",
    what: (d) => `The password of your account was changed. ${d}`.trim(),
    sms: "the password of your account was changed",
  },
  "phone.changed": {
    subject: "Your sign-in phone was changed",
    what: (d) => `The phone number used to sign in to your account was changed. ${d}`.trim(),
    sms: "the phone number used to sign in to your account was changed",
  },
  "alternate_email.changed": {
    subject: "Your alternate email was changed",
    what: (d) =>
      `The alternate email of your account, used to reset your password and to receive these notices, was changed. ${d}`.trim(),
    sms: "the alternate email of your account was changed",
  },
  "alternate_email.removed": {
    subject: "Your alternate email was removed",
    what: (d) => `The alternate email of your account was removed. ${d}`.trim(),
    sms: "the alternate email of your account was removed",
  },
  "account_recovery.cancelled": {
    subject: "The request to reset your sign-in methods was cancelled",
    what: (d) =>
      `The request to reset the sign-in methods of your account was cancelled. ${d}`.trim(),
    sms: "the request to reset your sign-in methods was cancelled",
  },
  "account_recovery.completed": {
    subject: "Your sign-in methods were reset",
    what: () =>
      "The waiting period of your account recovery ended and your password was used to sign in: your old sign-in methods were removed and every browser and device was signed out. New methods are being set up.",
    sms: "the sign-in methods of your account were reset",
  },
  "sign_in.risky": {
    subject: "A sign-in from somewhere new",
    what: (d) => `Your account was signed in to from somewhere new. ${d}`.trim(),
    sms: "your account was signed in to from somewhere new",
  },
  "account.secured": {
    subject: "Your account was secured",
    what: (d) =>
      `Your account was secured: the password was changed and every browser and device was signed out. ${d}`.trim(),
    sms: "your account was secured and signed out everywhere",
  },
  // Changes made by the helpdesk: `detail` names the ticket when the agent gave one.
  "admin.mfa_reset": {
    subject: "The helpdesk reset your sign-in methods",
    what: (d) =>
      `The helpdesk removed the sign-in methods of your account and signed it out everywhere. The next time you sign in, you will set up a method again. ${d}`.trim(),
    sms: "the helpdesk reset the sign-in methods of your account",
  },
  "admin.mfa_sessions_revoked": {
    subject: "The helpdesk forgot your remembered browsers",
    what: (d) =>
      `The helpdesk made every browser ask for a verification code again when you sign in. ${d}`.trim(),
    sms: "the helpdesk made every browser ask for a verification code again",
  },
  "admin.remembered_browser_forgotten": {
    subject: "The helpdesk forgot a remembered browser",
    what: (d) =>
      `The helpdesk made a browser where you chose "Don't ask again" ask for a verification code again. ${d}`.trim(),
    sms: "the helpdesk made a browser ask for a verification code again",
  },
  "admin.sessions_revoked": {
    subject: "The helpdesk signed you out everywhere",
    what: (d) => `The helpdesk signed your account out on every browser and device. ${d}`.trim(),
    sms: "the helpdesk signed your account out everywhere",
  },
  "admin.password_reset": {
    subject: "The helpdesk reset your password",
    what: (d) =>
      `The helpdesk set a temporary password on your account and signed it out everywhere; every browser asks for a verification code again. You will choose a new password when you sign in with it. ${d}`.trim(),
    sms: "the helpdesk reset the password of your account",
  },
  "admin.account_unlocked": {
    subject: "The helpdesk unlocked your account",
    what: (d) =>
      `The helpdesk cleared the failed sign-in attempts that had paused your account. ${d}`.trim(),
    sms: "the helpdesk unlocked your account",
  },
  "admin.account_disabled": {
    subject: "Your account was disabled",
    what: (d) =>
      `Your account was disabled by the helpdesk and signed out everywhere. Nobody can sign in to it until it is enabled again. ${d}`.trim(),
    sms: "your account was disabled by the helpdesk",
  },
  "admin.account_enabled": {
    subject: "Your account was enabled",
    what: (d) => `Your account was enabled again by the helpdesk. ${d}`.trim(),
    sms: "your account was enabled again by the helpdesk",
  },
  "admin.role_changed": {
    subject: "Your role changed",
    what: (d) => `The role of your account was changed. ${d}`.trim(),
    sms: "the role of your account was changed",
  },
  "admin.method_removed": {
    subject: "The helpdesk removed a sign-in method",
    what: (d) => `The helpdesk removed a sign-in method from your account: ${d}`.trim(),
    sms: "the helpdesk removed a sign-in method from your account",
  },
  "access_pass.issued": {
    subject: "A Temporary Access Pass was issued",
    what: (d) =>
      `The helpdesk issued a Temporary Access Pass for your account, so that you can sign in once and set up a sign-in method. ${d}`.trim(),
    sms: "the helpdesk issued a Temporary Access Pass for your account",
  },
  "access_pass.locked": {
    subject: "Temporary Access Pass paused after wrong attempts",
    what: () =>
      "Several wrong Temporary Access Passes were entered for your account, so signing in with a pass is paused for a while.",
    sms: "several wrong Temporary Access Passes were entered for your account",
  },
  "hardware_token.assigned": {
    subject: "A hardware token was assigned to you",
    what: (d) =>
      `The helpdesk assigned a hardware token to your account: ${d} Activate it in Security info by entering the code it shows.`.trim(),
    sms: "the helpdesk assigned a hardware token to your account",
  },
  "passkey.counter_regressed": {
    subject: "A passkey was refused: it may have been copied",
    what: (d) =>
      `Your passkey ${d} was used with a signature counter lower than before, which can mean the key was copied. We refused the sign-in and blocked this passkey. Delete it in Security info and create a new one.`,
    sms: "a passkey on your account was refused because it may have been copied",
  },
  "push.fraud_reported": {
    subject: "You reported a sign-in request",
    what: () =>
      "You denied a sign-in request in the Authenticator app and said it wasn't you. Requests to your phone are paused for an hour. Someone may know your password: change it now.",
    sms: "a sign-in request was reported as not yours",
  },
  "push.helpdesk_reported": {
    subject: "You reported a helpdesk request",
    what: () =>
      "The helpdesk asked the Authenticator app to confirm it was you on a call with them, and you said it wasn't you. Someone may have called the helpdesk pretending to be you. Requests to your phone are paused for an hour. If you did not call the helpdesk, tell them so on a number you know.",
    sms: "a helpdesk request was reported as not yours",
  },
  "push.limited": {
    subject: "Sign-in requests to your phone were refused",
    what: () =>
      "Several sign-in requests for your account were sent to the Authenticator app in a short time. We stopped sending more for a while.",
    sms: "several sign-in requests for your account were sent to your phone",
  },
  "phone_sign_in.enabled": {
    subject: "Phone sign-in was turned on",
    what: (d) =>
      `Phone sign-in was turned on in the Authenticator app on ${d}. You can now sign in by approving a request on that phone, without your password. If this wasn't you, remove the phone in Security info.`,
    sms: "phone sign-in was turned on for your account",
  },
  "phone_sign_in.disabled": {
    subject: "Phone sign-in was turned off",
    what: (d) =>
      `Phone sign-in was turned off in the Authenticator app on ${d}. Signing in needs your password again.`,
    sms: "phone sign-in was turned off for your account",
  },
  "phone_sign_in.locked": {
    subject: "Phone sign-in was turned off after wrong PINs",
    what: (d) =>
      `The wrong app PIN was entered ${PIN_MAX_FAILURES} times in a row in the Authenticator app on ${d}, so we turned phone sign-in off for that phone. Signing in needs your password again. If you didn't enter these PINs, someone may have your phone: remove it in Security info.`,
    sms: "phone sign-in was turned off after wrong app PINs",
  },
  "phone_sign_in.pin_changed": {
    subject: "Your app PIN was changed",
    what: (d) =>
      `The app PIN for phone sign-in was changed in the Authenticator app on ${d}. If this wasn't you, remove the phone in Security info.`,
    sms: "the app PIN for phone sign-in was changed",
  },
};

type Recipient = { id: string; email: string; displayName: string };

/** Where a change came from. Location and device are human text; the raw values are fallbacks. */
export type NoticeContext = RequestContext & {
  /** Approximate location, e.g. "London, United Kingdom". */
  location?: string | null;
  /** The device in words, e.g. "Chrome on Windows". */
  device?: string | null;
  /** When it happened; now when omitted. */
  at?: Date;
};

export type NoticeOptions = {
  /**
   * Also text this number — for a changed phone, the old one (R-A15.2: an address that changes
   * is told too). The text says what happened and whom to contact; never a link or a code.
   */
  smsTo?: string | null;
  /** Also email this address: one that was just replaced or removed (R-A15.2). */
  emailAlso?: string | null;
};

function formatWhen(at: Date): string {
  return new Intl.DateTimeFormat("en-GB", {
    dateStyle: "full",
    timeStyle: "long",
    timeZone: "UTC",
  }).format(at);
}

function describeWhere(context: NoticeContext): string {
  if (context.location && context.ip) return `${context.location} (IP address ${context.ip})`;
  if (context.location) return context.location;
  if (context.ip) return `IP address ${context.ip}`;
  return "unknown";
}

/** The email telling a person about a security event: subject, plain text and HTML. */
export function renderSecurityNotice(
  user: Pick<Recipient, "displayName">,
  event: NoticeEvent,
  context: NoticeContext,
  detail = "",
): { subject: string; text: string; html: string } {
  const { ORG_NAME, HELPDESK_EMAIL, PUBLIC_URL } = getEnv();
  const notice = NOTICES[event];
  const { text, html } = renderEmail({
    organisation: ORG_NAME,
    title: notice.subject,
    greeting: `Hello ${user.displayName},`,
    paragraphs: [notice.what(detail)],
    facts: [
      ["When", formatWhen(context.at ?? clock.now())],
      ["Where", describeWhere(context)],
      ["Device", context.device || context.userAgent || "unknown"],
    ],
    sections: [
      { heading: "If this was you", paragraphs: ["There is nothing to do."] },
      {
        heading: "If it wasn't you",
        paragraphs: [
          `Type ${PUBLIC_URL}/security-info into your browser yourself (do not follow links in messages you did not expect), ` +
            "change your password and remove any sign-in method you do not recognise.",
          `Then contact the ${ORG_NAME} helpdesk at ${HELPDESK_EMAIL}.`,
        ],
      },
    ],
    signature: `${ORG_NAME} security`,
  });
  return { subject: notice.subject, text, html };
}

/**
 * Queues the email that tells a person about a security change, in the caller's transaction
 * (R-A15.3: what, when, where from, which device; never a code or a sign-in link), and a text
 * message to `options.smsTo` when given.
 */
export async function queueSecurityNotice(
  db: Executor,
  user: Recipient,
  event: NoticeEvent,
  context: NoticeContext,
  detail = "",
  options: NoticeOptions = {},
): Promise<void> {
  const at = context.at ?? clock.now();
  const { subject, text, html } = renderSecurityNotice(user, event, { ...context, at }, detail);
  // The sign-in address, the verified alternate email (docs/decisions/0023), and an address the
  // change has just taken away.
  const [alternate] = await db
    .select({ email: alternateEmails.email })
    .from(alternateEmails)
    .where(and(eq(alternateEmails.userId, user.id), eq(alternateEmails.status, "active")));
  const addresses = [user.email, alternate?.email, options.emailAlso].filter(
    (address, i, all): address is string =>
      !!address && all.findIndex((other) => other?.toLowerCase() === address.toLowerCase()) === i,
  );
  for (const recipient of addresses) {
    await queueMessage(db, {
      userId: user.id,
      channel: "email",
      recipient,
      subject,
      body: text,
      htmlBody: html,
    });
  }
  if (options.smsTo) {
    const { ORG_NAME, HELPDESK_EMAIL } = getEnv();
    const day = new Intl.DateTimeFormat("en-GB", {
      dateStyle: "medium",
      timeStyle: "short",
      timeZone: "UTC",
    }).format(at);
    await queueMessage(db, {
      userId: user.id,
      channel: "sms",
      recipient: options.smsTo,
      body: `${ORG_NAME}: ${NOTICES[event].sms} on ${day} UTC. If this wasn't you, contact the helpdesk at ${HELPDESK_EMAIL}.`,
    });
  }
}
