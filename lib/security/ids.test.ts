import { describe, expect, it } from "vitest";
import { isUuid } from "./ids";

describe("isUuid (R-A17.6)", () => {
  it("accepts a UUID in either case", () => {
    expect(isUuid("0b6a1a7e-3c1f-4f6e-9d2a-5b8e7c6d4a21")).toBe(true);
    expect(isUuid("0B6A1A7E-3C1F-4F6E-9D2A-5B8E7C6D4A21")).toBe(true);
  });

  it.each([
    "-".repeat(36),
    "0b6a1a7e3c1f4f6e9d2a5b8e7c6d4a21",
    "0b6a1a7e-3c1f-4f6e-9d2a-5b8e7c6d4a2",
    "0b6a1a7e-3c1f-4f6e-9d2a-5b8e7c6d4a21 ",
    "0b6a1a7e-3c1f-4f6e-9d2a-5b8e7c6d4a2g",
    "",
  ])("refuses %j, which PostgreSQL would reject with an error", (value) => {
    expect(isUuid(value)).toBe(false);
  });

  it("refuses what is not a string", () => {
    expect(isUuid(undefined)).toBe(false);
    expect(isUuid(["0b6a1a7e-3c1f-4f6e-9d2a-5b8e7c6d4a21"])).toBe(false);
  });
});
