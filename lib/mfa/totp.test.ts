import { describe, expect, it } from "vitest";
import { pinClock } from "@/lib/testing/clock";
import { matchTotp, newTotpSecret, totpCode, totpUri } from "./totp";

describe("TOTP (R-A4.1, R-A4.2)", () => {
  it("makes 160-bit base32 secrets and a scannable URI", () => {
    const secret = newTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = totpUri({ issuer: "Example University", account: "a@example.edu", secret });
    expect(uri).toMatch(/^otpauth:\/\/totp\//);
    expect(uri).toContain(`secret=${secret}`);
    expect(uri).toContain("issuer=Example%20University");
  });

  it("makes and checks codes by the one clock, which a test can stop and move", async () => {
    const time = pinClock(Date.UTC(2031, 0, 1, 0, 0, 15));
    const secret = newTotpSecret();
    const code = await totpCode(secret);
    expect(await matchTotp(secret, code, null)).toBe(Math.floor(time.ms() / 30_000));
    time.advance(29_000); // the next step: still inside the window
    expect(await matchTotp(secret, code, null)).toBe(Math.floor((time.ms() - 29_000) / 30_000));
    time.advance(60_000); // three steps on
    expect(await matchTotp(secret, code, null)).toBeNull();
  });

  it("accepts the current step and one either side, nothing wider", async () => {
    const secret = newTotpSecret();
    const now = Date.now();
    const step = Math.floor(now / 30_000);
    for (const offset of [-1, 0, 1]) {
      const code = await totpCode(secret, new Date(now + offset * 30_000));
      expect(await matchTotp(secret, code, null)).toBe(step + offset);
    }
    for (const offset of [-3, 3]) {
      const code = await totpCode(secret, new Date(now + offset * 30_000));
      if (code !== (await totpCode(secret))) expect(await matchTotp(secret, code, null)).toBeNull();
    }
  });

  it("refuses steps at or before the last used one", async () => {
    const secret = newTotpSecret();
    const code = await totpCode(secret);
    const step = await matchTotp(secret, code, null);
    expect(step).not.toBeNull();
    expect(await matchTotp(secret, code, step)).toBeNull();
  });

  it("treats malformed input as a failure", async () => {
    const secret = newTotpSecret();
    for (const bad of ["", "12345", "abcdef", "1234567", "12 34 56x"]) {
      expect(await matchTotp(secret, bad, null)).toBeNull();
    }
    expect(await matchTotp("short", "123456", null)).toBeNull();
  });
});
