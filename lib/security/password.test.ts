import { describe, expect, it } from "vitest";
import {
  generatePassword,
  hashPassword,
  needsRehash,
  passwordLength,
  verifyAgainstDummy,
  verifyPassword,
} from "./password";

describe("password hashing (R-A3.1, R-A2.5)", () => {
  it("stores argon2id with m=19456, t=2, p=1 and a unique salt", async () => {
    const first = await hashPassword("correct horse battery staple");
    const second = await hashPassword("correct horse battery staple");
    expect(first).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(first).not.toBe(second);
    expect(needsRehash(first)).toBe(false);
  });

  it("verifies exactly what was typed: no truncation, no case folding", async () => {
    const long = "a".repeat(200) + "Z";
    const phc = await hashPassword(long);
    expect(await verifyPassword(phc, long)).toBe(true);
    expect(await verifyPassword(phc, "a".repeat(200) + "z")).toBe(false);
    expect(await verifyPassword(phc, "a".repeat(200))).toBe(false);
  });

  it("treats Unicode compatibility forms as the same password (NFKC)", async () => {
    const phc = await hashPassword("ﬁsh and chips");
    expect(await verifyPassword(phc, "fish and chips")).toBe(true);
  });

  it("counts length in code points", () => {
    expect(passwordLength("😀😀😀😀")).toBe(4);
  });

  it("asks for a rehash when the stored parameters differ from policy", () => {
    expect(needsRehash("$argon2id$v=19$m=4096,t=3,p=1$c2FsdHNhbHQ$aGFzaA")).toBe(true);
    expect(needsRehash("$2b$10$abcdefghijklmnopqrstuu")).toBe(true);
  });

  it("fails closed on a malformed stored hash", async () => {
    expect(await verifyPassword("not-a-hash", "anything")).toBe(false);
  });

  it("always fails the dummy verification used for unknown accounts", async () => {
    expect(await verifyAgainstDummy("factor-dummy-password-never-matches")).toBe(false);
  });

  it("generates long random passwords", () => {
    const passwords = new Set(Array.from({ length: 50 }, () => generatePassword()));
    expect(passwords.size).toBe(50);
    for (const p of passwords) expect(p).toMatch(/^[A-Za-z0-9]{20}$/);
  });
});
