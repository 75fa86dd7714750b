import { describe, expect, it } from "vitest";
import { acceptableSubscription } from "./web-push";

// The endpoint of a push subscription comes from the device: the server posts to it (R-A17.3).

describe("push subscriptions a device sends", () => {
  it("are taken for the browsers' push services over HTTPS", () => {
    for (const endpoint of [
      "https://fcm.googleapis.com/fcm/send/abc:def",
      "https://updates.push.services.mozilla.com/wpush/v2/abc",
      "https://db5p.notify.windows.com/w/?token=abc",
      "https://web.push.apple.com/abc",
    ]) {
      expect(acceptableSubscription({ endpoint })).toEqual({ endpoint });
    }
  });

  it("are refused anywhere else, however the address is dressed", () => {
    for (const endpoint of [
      "http://fcm.googleapis.com/fcm/send/abc",
      "https://storage.googleapis.com/attacker-bucket/object",
      "https://fcm.googleapis.com:8443/fcm/send/abc",
      "https://user:pass@fcm.googleapis.com/fcm/send/abc",
      "https://fcm.googleapis.com.evil.example/fcm/send/abc",
      "https://169.254.169.254/latest/meta-data",
      "https://localhost/fcm/send/abc",
      "not a url",
    ]) {
      expect(acceptableSubscription({ endpoint })).toBeNull();
    }
    const long = `https://fcm.googleapis.com/${"a".repeat(1000)}`;
    expect(acceptableSubscription({ endpoint: long })).toBeNull();
    expect(acceptableSubscription("https://fcm.googleapis.com/fcm/send/abc")).toBeNull();
    expect(acceptableSubscription(null)).toBeNull();
  });
});
