import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { seal, sealedWith, unseal } from "./sealing";

const k1 = { id: "k1", key: randomBytes(32) };
const k2 = { id: "k2", key: randomBytes(32) };

describe("sealing secrets at rest (R-A3.4)", () => {
  it("round-trips and never stores the plaintext", () => {
    const sealed = seal("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "method-1", [k1]);
    expect(sealed).not.toContain("JBSWY3DP");
    expect(unseal(sealed, "method-1", [k1])).toBe("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");
    expect(seal("same", "c", [k1])).not.toBe(seal("same", "c", [k1]));
  });

  it("refuses a value moved to another record or tampered with", () => {
    const sealed = seal("secret", "method-1", [k1]);
    expect(() => unseal(sealed, "method-2", [k1])).toThrow();
    const parts = sealed.split(".");
    parts[4] = Buffer.from("xxxxxx").toString("base64url");
    expect(() => unseal(parts.join("."), "method-1", [k1])).toThrow();
  });

  it("refuses a tag cut short, even to the first bytes of the right one", () => {
    const sealed = seal("secret", "ticket", [k1]);
    const parts = sealed.split(".");
    const tag = Buffer.from(parts[3]!, "base64url");
    expect(tag).toHaveLength(16);
    // GCM checks a short tag against the same prefix of the full one: Node would accept it.
    for (const bytes of [4, 8, 12, 15]) {
      parts[3] = tag.subarray(0, bytes).toString("base64url");
      expect(() => unseal(parts.join("."), "ticket", [k1])).toThrow("Not a sealed value");
    }
  });

  it("reads only the shape it writes: five parts, a 12-byte IV, base64url", () => {
    const sealed = seal("secret", "ticket", [k1]);
    expect(() => unseal(`${sealed}.extra`, "ticket", [k1])).toThrow("Not a sealed value");
    const parts = sealed.split(".");
    const withIv = (iv: string) => [parts[0], parts[1], iv, parts[3], parts[4]].join(".");
    expect(() => unseal(withIv(randomBytes(16).toString("base64url")), "ticket", [k1])).toThrow(
      "Not a sealed value",
    );
    expect(() => unseal(withIv(`${parts[2]}!`), "ticket", [k1])).toThrow("Not a sealed value");
  });

  it("rotates: the first key seals, older keys still open what they sealed", () => {
    const old = seal("secret", "m", [k1]);
    const fresh = seal("secret", "m", [k2, k1]);
    expect(sealedWith(old)).toBe("k1");
    expect(sealedWith(fresh)).toBe("k2");
    expect(unseal(old, "m", [k2, k1])).toBe("secret");
    expect(() => unseal(old, "m", [k2])).toThrow(/k1 is not configured/);
  });
});
