import { describe, expect, it } from "vitest";
import { buildEnv } from "@/lib/env";
import { securityTxt } from "./security-txt";

const NOW = new Date("2026-12-04T10:20:30.456Z");

describe("security.txt (RFC 9116)", () => {
  it("names the helpdesk when no security contact is set, and expires within a year", () => {
    const text = securityTxt(buildEnv({ HELPDESK_EMAIL: "it-help@example.edu" }), NOW);
    expect(text).toBe(
      [
        "Contact: mailto:it-help@example.edu",
        "Expires: 2027-06-02T10:20:30Z",
        "Preferred-Languages: en",
        "",
      ].join("\n"),
    );
  });

  it("takes SECURITY_CONTACT as an address or a URI, and names itself on https", () => {
    const env = (contact: string) =>
      buildEnv({ SECURITY_CONTACT: contact, PUBLIC_URL: "https://security.example.edu/" });
    expect(securityTxt(env("cert@example.edu"), NOW)).toContain(
      "Contact: mailto:cert@example.edu\n",
    );
    expect(securityTxt(env("https://example.edu/report"), NOW)).toContain(
      "Contact: https://example.edu/report\n",
    );
    expect(securityTxt(env("tel:+44-20-7946-0000"), NOW)).toContain(
      "Contact: tel:+44-20-7946-0000\n",
    );
    expect(securityTxt(env("cert@example.edu"), NOW)).toMatch(
      /\nCanonical: https:\/\/security\.example\.edu\/\.well-known\/security\.txt\n$/,
    );
  });

  it("refuses a contact that is neither an address nor a secure URI", () => {
    for (const contact of ["http://example.edu/report", "security team", "ftp://example.edu"]) {
      expect(() => buildEnv({ SECURITY_CONTACT: contact })).toThrow(/SECURITY_CONTACT: must be/);
    }
  });
});
