import { dictionary } from "@zxcvbn-ts/language-common";
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, passwordLength } from "@/lib/security/password";
import type { Result } from "@/lib/types/result";

// What a new password must be (R-A2.1, R-A2.4, NIST SP 800-63B §3.1.1.2): 8 to 256 characters, not a
// common or breached password, not built on the person's name, email or organisation — and no
// composition rules. The list is @zxcvbn-ts/language-common's (MIT), drawn from leaked-password
// corpora; it doubles as the offline "breached" check (docs/decisions/0005).

export { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH };

/** Parts shorter than this are too common to forbid ("Jo", "Lee", "of"). */
const MIN_PERSONAL_PART_LENGTH = 4;

let common: Set<string> | undefined;

/** Only entries a new password could equal: the list's shorter ones never can. */
function commonPasswords(): Set<string> {
  common ??= new Set(
    dictionary["passwords-common"]
      .map(fold)
      .filter((entry) => passwordLength(entry) >= PASSWORD_MIN_LENGTH),
  );
  return common;
}

/** NFKC, lower case, accents removed: "José" and "JOSE" compare equal. */
function fold(text: string): string {
  return text
    .normalize("NFKC")
    .toLowerCase()
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .normalize("NFC");
}

/** The whole text and each word of it, folded, long enough to matter. */
function parts(text: string): string[] {
  const folded = fold(text);
  const words = folded.split(/[^\p{L}\p{N}]+/u);
  return [folded, words.join(""), ...words].filter(
    (part) => passwordLength(part) >= MIN_PERSONAL_PART_LENGTH,
  );
}

/** "aaaaaaaa", "12345678", "abcdefgh", "98765432": one character, or counting by one. */
function isRunOrRepeat(folded: string): boolean {
  const points = [...folded].map((c) => c.codePointAt(0)!);
  const step = points[1]! - points[0]!;
  if (Math.abs(step) > 1) return false;
  return points.every((point, i) => i === 0 || point - points[i - 1]! === step);
}

export type PasswordProblem =
  "too_short" | "too_long" | "common" | "run_or_repeat" | "personal" | "organisation";

/**
 * Whether a new password is acceptable, else why, with the message for the field (R-A2.1, R-A2.4;
 * NIST 800-63B §3.1.1.2).
 */
export function checkNewPassword(
  password: string,
  about: { name: string; email: string; orgName: string },
): Result<object, PasswordProblem, { message: string }> {
  const refuse = (reason: PasswordProblem, message: string) =>
    ({ ok: false, reason, message }) as const;
  const normalised = password.normalize("NFKC");
  const length = passwordLength(normalised);
  if (length < PASSWORD_MIN_LENGTH)
    return refuse("too_short", `Use at least ${PASSWORD_MIN_LENGTH} characters.`);
  if (length > PASSWORD_MAX_LENGTH)
    return refuse("too_long", `Use at most ${PASSWORD_MAX_LENGTH} characters.`);

  const folded = fold(normalised);
  if (commonPasswords().has(folded)) {
    return refuse(
      "common",
      "Choose a password that is harder to guess: this one is on a list of common passwords.",
    );
  }
  if (isRunOrRepeat(folded)) {
    return refuse(
      "run_or_repeat",
      "Choose a password that is harder to guess: avoid repeating or counting characters, such as aaaaaaaa or 12345678.",
    );
  }
  const localPart = about.email.split("@")[0] ?? "";
  if ([...parts(about.name), ...parts(localPart)].some((part) => folded.includes(part))) {
    return refuse(
      "personal",
      "Choose a password that does not contain your name or email address.",
    );
  }
  if (parts(about.orgName).some((part) => folded.includes(part))) {
    return refuse(
      "organisation",
      `Choose a password that does not contain the name of ${about.orgName}.`,
    );
  }
  return { ok: true };
}
