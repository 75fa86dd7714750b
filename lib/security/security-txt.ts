import type { Env } from "@/lib/env";
import { clock } from "@/lib/clock";

/** How far ahead Expires is set; RFC 9116 §2.5.5 asks for less than a year. */
export const SECURITY_TXT_LIFETIME_DAYS = 180;

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The RFC 9116 security.txt: whom to tell about a vulnerability (SECURITY_CONTACT, else the
 * helpdesk), in English, valid SECURITY_TXT_LIFETIME_DAYS from `now`.
 */
export function securityTxt(
  env: Pick<Env, "PUBLIC_URL" | "HELPDESK_EMAIL" | "SECURITY_CONTACT">,
  now: Date = clock.now(),
): string {
  const contact = env.SECURITY_CONTACT ?? env.HELPDESK_EMAIL;
  const expires = new Date(now.getTime() + SECURITY_TXT_LIFETIME_DAYS * DAY_MS);
  const fields = [
    `Contact: ${/^(mailto|https|tel):/.test(contact) ? contact : `mailto:${contact}`}`,
    `Expires: ${expires.toISOString().replace(/\.\d{3}Z$/, "Z")}`,
    "Preferred-Languages: en",
  ];
  // A web address in Canonical must be https (RFC 9116 §2.5.2): a plain-http trial names none.
  if (env.PUBLIC_URL.startsWith("https:")) {
    fields.push(`Canonical: ${env.PUBLIC_URL}/.well-known/security.txt`);
  }
  return `${fields.join("\n")}\n`;
}
