import { describe, expect, it } from "vitest";
import { activeDirectoryAnswer, escapeFilterValue } from "./ldap";

describe("Active Directory's reasons for a refused bind", () => {
  const refused = (data: string) =>
    `80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data ${data}, v4563`;

  it("tells what only a right password reveals, and a lock as nothing more than a refusal", () => {
    expect(activeDirectoryAnswer(refused("52e"))).toEqual({ answer: "wrong_password" });
    expect(activeDirectoryAnswer(refused("525"))).toEqual({ answer: "wrong_password" });
    expect(activeDirectoryAnswer(refused("532"))).toEqual({
      answer: "held",
      hold: "password_expired",
    });
    expect(activeDirectoryAnswer(refused("773"))).toEqual({
      answer: "held",
      hold: "password_must_change",
    });
    expect(activeDirectoryAnswer(refused("533"))).toEqual({ answer: "held", hold: "disabled" });
    expect(activeDirectoryAnswer(refused("775"))).toEqual({ answer: "locked" });
    expect(activeDirectoryAnswer("Invalid Credentials")).toBeNull();
  });
});

describe("filter values", () => {
  it("escapes what would change the filter (RFC 4515)", () => {
    expect(escapeFilterValue("*)(uid=*")).toBe("\\2a\\29\\28uid=\\2a");
    expect(escapeFilterValue("back\\slash\0")).toBe("back\\5cslash\\00");
    expect(escapeFilterValue(Buffer.from([0x01, 0xab]))).toBe("\\01\\ab");
  });
});
