import { describe, expect, it } from "vitest";
import type { CurrentSession } from "@/lib/auth/sessions";
import type { App } from "@/lib/apps/registry";
import { methodReferences, nameParts } from "./account";
import { loginResult, nextBridgeStep } from "./sign-in-bridge";

// What the bridge decides for an app's request, from the Factor session alone (R-A19.3).

const NOW = Date.now();
function session(overrides: Partial<CurrentSession> = {}): CurrentSession {
  return {
    id: "session-1",
    aal: 2,
    methods: ["pwd", "otp"],
    authenticatedAt: new Date(NOW - 60_000),
    secondFactorAt: new Date(NOW - 60_000),
    persistent: false,
    user: {
      id: "8f5e7a0e-2f4f-4f53-9f0f-2b1f3c4d5e6f",
      email: "sam@example.edu",
      displayName: "Sam Okafor",
      role: "user",
      mfaRequired: true,
    },
    ...overrides,
  };
}
const app = (overrides: Partial<App> = {}) =>
  ({ allowedRoles: null, proof: "mfa", ...overrides }) as App;
const request = (overrides: Partial<Parameters<typeof nextBridgeStep>[2]> = {}) => ({
  prompt: [] as string[],
  ...overrides,
});

describe("the next step for an app's request", () => {
  it("sends someone without a session to sign in", () => {
    expect(nextBridgeStep(null, app(), request())).toEqual({ kind: "sign_in", fresh: false });
  });

  it("answers the app from a session with two factors (single sign-on)", () => {
    expect(nextBridgeStep(session(), app(), request())).toEqual({ kind: "answer", fresh: false });
  });

  it("asks for a fresh sign-in on prompt=login or an exceeded max_age, once", () => {
    expect(nextBridgeStep(session(), app(), request({ prompt: ["login"] }))).toEqual({
      kind: "sign_in",
      fresh: true,
    });
    expect(nextBridgeStep(session(), app(), request({ maxAgeSeconds: 30 }))).toEqual({
      kind: "sign_in",
      fresh: true,
    });
    expect(nextBridgeStep(session(), app(), request({ maxAgeSeconds: 3600 })).kind).toBe("answer");
    // The sign-in made for this request satisfies it, even with max_age=0 and within the same
    // second: it is told by being another session than the one the person was sent from.
    const fresh = session({ id: "session-2", authenticatedAt: new Date(NOW) });
    const sent = { signInSent: { fromSessionId: "session-1" } };
    expect(
      nextBridgeStep(fresh, app(), request({ prompt: ["login"], maxAgeSeconds: 0, ...sent })),
    ).toEqual({ kind: "answer", fresh: true });
    // Coming back with the same session is not a new sign-in.
    expect(nextBridgeStep(session(), app(), request({ prompt: ["login"], ...sent }))).toEqual({
      kind: "sign_in",
      fresh: true,
    });
    // Sent to sign in without a session: whatever session comes back is the new sign-in.
    const none = { signInSent: { fromSessionId: null } };
    expect(nextBridgeStep(session(), app(), request(none))).toEqual({
      kind: "answer",
      fresh: true,
    });
  });

  it("refuses a role the app does not allow, a session without a second factor, a code where a passkey is needed", () => {
    const staffOnly = app({ allowedRoles: ["helpdesk", "admin"] });
    expect(nextBridgeStep(session(), staffOnly, request())).toEqual({
      kind: "refuse",
      reason: "role",
    });
    expect(nextBridgeStep(session({ aal: 1, methods: ["pwd"] }), app(), request())).toEqual({
      kind: "refuse",
      reason: "second_factor",
    });
    const passkeyApp = app({ proof: "phishing_resistant" });
    expect(nextBridgeStep(session(), passkeyApp, request())).toEqual({
      kind: "refuse",
      reason: "passkey",
    });
    // A phone's device key ("swk") alone is not a passkey.
    expect(nextBridgeStep(session({ methods: ["pwd", "swk"] }), passkeyApp, request()).kind).toBe(
      "refuse",
    );
    expect(nextBridgeStep(session({ methods: ["pwd", "hwk"] }), passkeyApp, request()).kind).toBe(
      "answer",
    );
  });
});

describe("what the app receives", () => {
  it("names the methods actually used, with mfa only after two factors (RFC 8176)", () => {
    expect(methodReferences({ aal: 2, methods: ["pwd", "sms"] })).toEqual(["pwd", "sms", "mfa"]);
    expect(methodReferences({ aal: 1, methods: ["pwd"] })).toEqual(["pwd"]);
    const { login } = loginResult(session({ methods: ["hwk", "user"] }), true);
    expect(login).toMatchObject({ amr: ["hwk", "user", "mfa"] });
    expect(login?.acr).toMatch(/phishing-resistant/);
    expect(login?.accountId).toBe(session().user.id);
  });

  it("splits a display name into given and family names", () => {
    expect(nameParts("Sam Okafor")).toEqual({ given_name: "Sam", family_name: "Okafor" });
    expect(nameParts("Mary Ann Evans")).toEqual({ given_name: "Mary Ann", family_name: "Evans" });
    expect(nameParts("Plato")).toEqual({ given_name: "Plato" });
  });
});
