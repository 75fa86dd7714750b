import { describe, expect, it } from "vitest";
import {
  limitReachedMessage,
  methodChoiceName,
  methodDetail,
  methodName,
  type MethodView,
} from "./registry";

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

describe("method names", () => {
  const method = (kind: MethodView["kind"], label: string, data: MethodView["data"] = null) =>
    ({
      id: "00000000-0000-4000-8000-000000000000",
      kind,
      label,
      isDefault: false,
      createdAt: new Date(0),
      lastUsedAt: null,
      data,
    }) satisfies MethodView;

  it("names the kind once when a device was left unnamed", () => {
    expect(methodDetail(method("authenticator_app", "Authenticator app"))).toBeNull();
    expect(methodName(method("authenticator_app", "Authenticator app"))).toBe("Authenticator app");
    expect(methodName(method("passkey", "Passkey"))).toBe("Passkey");
    expect(methodName(method("authenticator_app", "  "))).toBe("Authenticator app");
  });

  it("adds the device's own name or number when there is one", () => {
    expect(methodDetail(method("authenticator_app", "Work phone"))).toBe("Work phone");
    expect(methodName(method("authenticator_app", "Work phone"))).toBe(
      "Authenticator app Work phone",
    );
    expect(methodName(method("companion_app", "Phone"))).toBe("Authenticator app Phone");
    expect(methodName(method("hardware_token", "Serial 12345"))).toBe(
      "Hardware token Serial 12345",
    );
    expect(methodName(method("mobile_phone", "+44 •••• ••• 123"))).toBe("Phone +44 •••• ••• 123");
  });

  it("offers a method in a chooser by its guide name, with its own name only once", () => {
    expect(methodChoiceName(method("authenticator_app", "Authenticator app"))).toBe(
      "Authenticator app or hardware token - code",
    );
    expect(methodChoiceName(method("authenticator_app", "Work phone"))).toBe(
      "Authenticator app or hardware token - code (Work phone)",
    );
    expect(methodChoiceName(method("mobile_phone", "+44 •••• ••• 123", { channel: "voice" }))).toBe(
      "Phone - call +44 •••• ••• 123",
    );
  });
});
