import { describe, expect, it } from "vitest";
import {
  checkNewPassword as checkPolicy,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
} from "./password-policy";

const alex = {
  name: "Alex Morgan",
  email: "alex.morgan@example.edu",
  orgName: "Example University",
};
const COMMON =
  "Choose a password that is harder to guess: this one is on a list of common passwords.";
const PERSONAL = "Choose a password that does not contain your name or email address.";
const ORG = "Choose a password that does not contain the name of Example University.";

/** The message the field shows, or null when the password is accepted. */
function checkNewPassword(...args: Parameters<typeof checkPolicy>): string | null {
  const checked = checkPolicy(...args);
  return checked.ok ? null : checked.message;
}

/** A password of exactly n code points that is on no list. */
const ofLength = (n: number) => "Tq9vLm2x".repeat(Math.ceil(n / 8)).slice(0, n);

describe("checkNewPassword (R-A2.1, R-A2.4, NIST 800-63B §3.1.1.2)", () => {
  it("accepts 8 to 256 characters and refuses 7 and 257", () => {
    expect(PASSWORD_MIN_LENGTH).toBe(8);
    expect(PASSWORD_MAX_LENGTH).toBe(256);
    expect(checkPolicy(ofLength(7), alex)).toEqual({
      ok: false,
      reason: "too_short",
      message: "Use at least 8 characters.",
    });
    expect(checkPolicy(ofLength(8), alex)).toEqual({ ok: true });
    expect(checkNewPassword(ofLength(8), alex)).toBeNull();
    expect(checkNewPassword(ofLength(256), alex)).toBeNull();
    expect(checkNewPassword(ofLength(257), alex)).toBe("Use at most 256 characters.");
  });

  it("imposes no composition rules: a long phrase of lower-case words is fine", () => {
    expect(checkNewPassword("correct horse battery staple", alex)).toBeNull();
    expect(checkNewPassword("vbnuiklopqwt", alex)).toBeNull();
  });

  it("counts code points after NFKC, not UTF-16 units", () => {
    // Eight emoji are 16 UTF-16 units but 8 characters.
    expect(checkNewPassword("🦊🐢🦉🐙🦋🐝🦔🐳", alex)).toBeNull();
    expect(checkNewPassword("🦊🐢🦉🐙🦋🐝🦔", alex)).toBe("Use at least 8 characters.");
    // "e" + a combining accent composes to one "é": 10 code points before NFKC, 7 after.
    expect(checkNewPassword("qe\u0301ze\u0301xe\u0301we\u0301".slice(0, -2), alex)).toBe(
      "Use at least 8 characters.",
    );
    expect(checkNewPassword("qe\u0301ze\u0301xe\u0301we\u0301", alex)).toBeNull();
  });

  it("refuses common passwords whatever their case or width", () => {
    for (const password of [
      "password",
      "Password",
      "PASSWORD1",
      "iloveyou",
      "qwertyuiop",
      "1qaz2wsx",
      "ｐａｓｓｗｏｒｄ",
    ]) {
      expect(checkNewPassword(password, alex), password).toBe(COMMON);
    }
  });

  it("refuses repeated and counting characters", () => {
    for (const password of ["aaaaaaaa", "abcdefghij", "98765432"]) {
      expect(checkNewPassword(password, alex), password).toMatch(/avoid repeating or counting/);
    }
    expect(checkNewPassword("aaaaaaab", alex)).toBeNull();
  });

  it("refuses the person's name or email in any case, with or without accents", () => {
    expect(checkNewPassword("Morgan-rules-2026", alex)).toBe(PERSONAL);
    expect(checkNewPassword("xx ALEXMORGAN xx", alex)).toBe(PERSONAL);
    expect(checkNewPassword("my alex.morgan key", alex)).toBe(PERSONAL);
    const jose = { name: "José Núñez", email: "jn4@example.edu", orgName: "Example University" };
    expect(checkNewPassword("big jose nunez fan", jose)).toBe(PERSONAL);
    expect(checkNewPassword("NÚÑEZ forever 77", jose)).toBe(PERSONAL);
    // From the email's local part when it differs from the name.
    const sam = { name: "Sam Okafor", email: "s.okafor-jones@example.edu", orgName: "Acme" };
    expect(checkNewPassword("tall jones trees", sam)).toBe(PERSONAL);
  });

  it("ignores name parts shorter than four characters", () => {
    const short = { name: "Jo Li", email: "jo@example.edu", orgName: "MIT" };
    expect(checkNewPassword("jolly lions roar", short)).toBeNull();
  });

  it("refuses the organisation's name or a word of it", () => {
    expect(checkNewPassword("ExampleUniversity1", alex)).toBe(ORG);
    expect(checkNewPassword("my university days", alex)).toBe(ORG);
  });
});
