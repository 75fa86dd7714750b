import { describe, expect, it } from "vitest";
import { limitReachedMessage } from "./registry";

describe("method limits", () => {
  it("words each kind's limit from the registry", () => {
    expect(limitReachedMessage("authenticator_app")).toBe(
      "You already have 5 authenticator apps. Delete one in Security info before adding another.",
    );
    expect(limitReachedMessage("hardware_token")).toBe(
      "You already have 5 authenticator apps and hardware tokens. Delete one in Security info first.",
    );
    expect(limitReachedMessage("companion_app")).toBe(
      "You already have 5 paired phones. Delete one in Security info before adding another.",
    );
    expect(limitReachedMessage("passkey")).toBe(
      "You already have 10 passkeys. Delete one in Security info before adding another.",
    );
    expect(limitReachedMessage("mobile_phone")).toBe(
      "You already have a phone. Change it in Security info instead.",
    );
    expect(limitReachedMessage("office_phone")).toBe(
      "You already have an office phone. Change it in Security info instead.",
    );
  });
});
