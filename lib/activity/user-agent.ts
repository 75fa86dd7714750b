import { UAParser } from "ua-parser-js";

// The only module that imports ua-parser-js: 1.0.x is MIT; 2.x is AGPL and must not be used.

export type DeviceInfo = {
  browser: string | null;
  os: string | null;
  deviceType: "desktop" | "mobile" | "tablet" | "other" | null;
};

// Names people recognise, where the parser's differ.
const BROWSER_NAMES: Record<string, string> = {
  "Mobile Safari": "Safari",
  "Mobile Firefox": "Firefox",
  "Chrome Headless": "Headless Chrome",
  "Chrome WebView": "Android WebView",
};
const OS_NAMES: Record<string, string> = { "Mac OS": "macOS", "Chromium OS": "ChromeOS" };
const DESKTOP_OS = new Set([
  "Windows",
  "macOS",
  "Linux",
  "ChromeOS",
  "Ubuntu",
  "Debian",
  "Fedora",
  "FreeBSD",
  "OpenBSD",
]);

/** Browser, operating system and kind of device from a User-Agent header. */
export function parseUserAgent(ua: string | null): DeviceInfo {
  const text = ua?.trim();
  if (!text) return { browser: null, os: null, deviceType: null };
  // The parser trims to 500 characters itself; slicing first bounds the work on hostile input.
  const result = new UAParser(text.slice(0, 512)).getResult();
  const browserName = result.browser.name;
  const osName = result.os.name;
  const browser = browserName ? (BROWSER_NAMES[browserName] ?? browserName) : null;
  const os = osName ? (OS_NAMES[osName] ?? osName) : null;
  const type = result.device.type;
  const deviceType =
    type === "mobile" || type === "tablet"
      ? type
      : type === undefined && os !== null && DESKTOP_OS.has(os)
        ? "desktop"
        : "other";
  return { browser, os, deviceType };
}

/** "Chrome on Windows", "Safari", "Unknown browser on Android" or "Unknown browser". */
export function describeDevice(info: DeviceInfo): string {
  if (info.browser && info.os) return `${info.browser} on ${info.os}`;
  if (info.browser) return info.browser;
  if (info.os) return `Unknown browser on ${info.os}`;
  return "Unknown browser";
}
