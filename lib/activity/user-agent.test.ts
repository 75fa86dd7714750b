import { describe, expect, it } from "vitest";
import { describeDevice, parseUserAgent } from "./user-agent";

const CHROME_WINDOWS =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
const SAFARI_IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
const SAFARI_IPAD =
  "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
const SAFARI_MAC =
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15";
const FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0";
const CHROME_ANDROID =
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36";
const EDGE =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0";
const CHROMEBOOK =
  "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";

describe("parseUserAgent", () => {
  it.each([
    [CHROME_WINDOWS, "Chrome", "Windows", "desktop", "Chrome on Windows"],
    [SAFARI_IPHONE, "Safari", "iOS", "mobile", "Safari on iOS"],
    [SAFARI_IPAD, "Safari", "iOS", "tablet", "Safari on iOS"],
    [SAFARI_MAC, "Safari", "macOS", "desktop", "Safari on macOS"],
    [FIREFOX_LINUX, "Firefox", "Linux", "desktop", "Firefox on Linux"],
    [CHROME_ANDROID, "Chrome", "Android", "mobile", "Chrome on Android"],
    [EDGE, "Edge", "Windows", "desktop", "Edge on Windows"],
    [CHROMEBOOK, "Chrome", "ChromeOS", "desktop", "Chrome on ChromeOS"],
  ])("reads %s", (ua, browser, os, deviceType, description) => {
    const info = parseUserAgent(ua);
    expect(info).toEqual({ browser, os, deviceType });
    expect(describeDevice(info)).toBe(description);
  });

  it("says nothing it does not know", () => {
    expect(parseUserAgent(null)).toEqual({ browser: null, os: null, deviceType: null });
    expect(parseUserAgent("   ")).toEqual({ browser: null, os: null, deviceType: null });
    const tool = parseUserAgent("curl/8.5.0");
    expect(tool).toEqual({ browser: null, os: null, deviceType: "other" });
    expect(describeDevice(tool)).toBe("Unknown browser");
    expect(describeDevice({ browser: null, os: "Android", deviceType: "mobile" })).toBe(
      "Unknown browser on Android",
    );
  });

  it("parses a hostile, very long header quickly", () => {
    const started = performance.now();
    const info = parseUserAgent(`${CHROME_WINDOWS} ${"(a".repeat(50_000)}`);
    expect(performance.now() - started).toBeLessThan(200);
    expect(info.browser).toBe("Chrome");
  });
});
