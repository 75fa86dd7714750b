import { describe, expect, it } from "vitest";
import {
  activeDirectoryAnswer,
  escapeFilterValue,
  passwordModifyRequest,
  unicodePwd,
} from "./ldap";

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

describe("new passwords on the wire", () => {
  it("encodes Password Modify (RFC 3062) with the fields given, long values included", () => {
    expect(passwordModifyRequest({ newPassword: "ab" }).toString("hex")).toBe("30048202" + "6162");
    expect(
      passwordModifyRequest({ dn: "uid=a", oldPassword: "x", newPassword: "y" }).toString("hex"),
    ).toBe("300d8005" + Buffer.from("uid=a").toString("hex") + "810178" + "820179");
    const long = passwordModifyRequest({ newPassword: "p".repeat(200) });
    // 200 bytes need the long form of the length: 0x81 0xc8.
    expect(long.subarray(0, 6).toString("hex")).toBe("3081cb8281c8");
    expect(long).toHaveLength(3 + 3 + 200);
  });

  it("quotes Active Directory's unicodePwd and encodes it as UTF-16LE", () => {
    expect(unicodePwd("Aé")).toEqual(Buffer.from([0x22, 0, 0x41, 0, 0xe9, 0, 0x22, 0]));
  });
});
