import { describe, expect, it } from "vitest";
import { safeRedirectPath } from "./redirect";

describe("safeRedirectPath (R-A17.4)", () => {
  it.each([
    ["/help", "/help"],
    ["/security-info?tab=methods#list", "/security-info?tab=methods#list"],
    ["/a/../help", "/help"],
  ])("keeps the local path %s", (input, expected) => {
    expect(safeRedirectPath(input)).toBe(expected);
  });

  it.each([
    "https://evil.example/",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "javascript:alert(1)",
    "http:/evil.example",
    "",
    "help",
    "/%0d%0aSet-Cookie:x",
    // Dot segments that parsing resolves into a protocol-relative "//host".
    "/.//evil.example",
    "/a/..//evil.example",
    "/..//evil.example?x=1",
    "/%2e//evil.example",
    "/%2E%2E//evil.example",
  ])("refuses %j and falls back", (input) => {
    const result = safeRedirectPath(input, "/");
    expect(result === "/" || result.startsWith("/%0")).toBe(true);
    expect(result).not.toContain("evil");
  });

  it("drops Next's _rsc cache-busting parameter, keeping the rest as it was", () => {
    expect(safeRedirectPath("/admin/users?_rsc=1x2y3")).toBe("/admin/users");
    expect(safeRedirectPath("/admin/users?q=ada%20l&_rsc=1x2y3")).toBe("/admin/users?q=ada+l");
    expect(safeRedirectPath("/admin/users?q=ada%20l")).toBe("/admin/users?q=ada%20l");
  });

  it("never throws on odd types", () => {
    expect(safeRedirectPath(undefined)).toBe("/");
    expect(safeRedirectPath(["/help"])).toBe("/");
    expect(safeRedirectPath({ toString: () => "//evil" })).toBe("/");
    expect(safeRedirectPath("/" + "a".repeat(5000))).toBe("/");
  });
});
