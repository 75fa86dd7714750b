import { describe, expect, it } from "vitest";
import { passkeyGate } from "./agent-rules";

describe("the console's passkey rule", () => {
  const app = { kind: "authenticator_app" };
  const passkey = { kind: "passkey" };

  it("lets any second factor through while the organisation does not require passkeys", () => {
    expect(passkeyGate(false, [app], ["pwd", "otp"])).toBe("ok");
  });

  it("sends an agent without a passkey to register one", () => {
    expect(passkeyGate(true, [app], ["pwd", "otp"])).toBe("register");
  });

  it("asks an agent with a passkey to prove it when the session was proven otherwise", () => {
    expect(passkeyGate(true, [app, passkey], ["pwd", "otp"])).toBe("prove");
    expect(passkeyGate(true, [app, passkey], ["pwd", "otp", "hwk"])).toBe("ok");
    // Passwordless with a synced passkey records "swk".
    expect(passkeyGate(true, [passkey], ["swk", "user"])).toBe("ok");
  });

  it("does not take a paired phone's approval for the passkey, though its key also records swk", () => {
    const phone = { kind: "companion_app" };
    // The password and an approved push request.
    expect(passkeyGate(true, [app, passkey, phone], ["pwd", "swk"])).toBe("prove");
    // Phone sign-in: the device key and the app PIN.
    expect(passkeyGate(true, [passkey, phone], ["swk", "pin"])).toBe("prove");
  });
});
