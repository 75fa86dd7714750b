import { expect, test } from "@playwright/test";
import { expectSecurityHeaders } from "./support/security-headers";

// What a browser, a crawler or a security researcher fetches without signing in: each is served
// as it is, never sent to /signin, and carries the security headers (R-A17.5).

const DAY_MS = 24 * 60 * 60 * 1000;

test("the favicon and app icons are served to anyone", async ({ request }) => {
  const files = [
    { path: "/favicon.ico", type: "image/x-icon", magic: Buffer.from([0, 0, 1, 0]) },
    { path: "/icon.svg", type: "image/svg+xml", magic: Buffer.from("<svg") },
    { path: "/apple-touch-icon.png", type: "image/png", magic: Buffer.from("\x89PNG", "latin1") },
    { path: "/icon-192.png", type: "image/png", magic: Buffer.from("\x89PNG", "latin1") },
    { path: "/icon-512.png", type: "image/png", magic: Buffer.from("\x89PNG", "latin1") },
  ];
  for (const file of files) {
    const response = await request.get(file.path, { maxRedirects: 0 });
    expect(response.status(), file.path).toBe(200);
    expect(response.headers()["content-type"], file.path).toContain(file.type);
    const body = await response.body();
    expect(body.subarray(0, file.magic.length).equals(file.magic), file.path).toBe(true);
    expectSecurityHeaders(response.headers());
  }
});

test("pages name the icons, and the companion app's manifest lists them", async ({
  page,
  request,
}) => {
  await page.goto("/signin");
  const hrefs = (selector: string) =>
    page.locator(selector).evaluateAll((links) => links.map((link) => link.getAttribute("href")));
  expect(await hrefs('link[rel="icon"]')).toEqual(["/favicon.ico", "/icon.svg"]);
  expect(await hrefs('link[rel="apple-touch-icon"]')).toEqual(["/apple-touch-icon.png"]);
  const manifest = await (await request.get("/authenticator/manifest.webmanifest")).json();
  expect(manifest.icons.map((icon: { src: string }) => icon.src)).toEqual([
    "/icon.svg",
    "/icon-192.png",
    "/icon-512.png",
  ]);
});

test("robots.txt keeps search engines out of the whole portal", async ({ request }) => {
  const response = await request.get("/robots.txt", { maxRedirects: 0 });
  expect(response.status()).toBe(200);
  expect(response.headers()["content-type"]).toMatch(/^text\/plain/);
  const lines = (await response.text()).split("\n").filter((line) => !line.startsWith("#"));
  expect(lines.filter(Boolean)).toEqual(["User-agent: *", "Disallow: /"]);
  expectSecurityHeaders(response.headers());
});

test("/.well-known/security.txt says whom to tell about a vulnerability (RFC 9116)", async ({
  request,
}) => {
  const response = await request.get("/.well-known/security.txt", { maxRedirects: 0 });
  expect(response.status()).toBe(200);
  expect(response.headers()["content-type"]).toBe("text/plain; charset=utf-8");
  expectSecurityHeaders(response.headers());
  const fields = new Map(
    (await response.text())
      .trim()
      .split("\n")
      .map((line) => line.split(/: (.*)/s).slice(0, 2) as [string, string]),
  );
  // The test server runs with the default settings: no SECURITY_CONTACT, so the helpdesk.
  expect(fields.get("Contact")).toBe("mailto:helpdesk@example.edu");
  expect(fields.get("Preferred-Languages")).toBe("en");
  const expires = Date.parse(fields.get("Expires") ?? "");
  expect(expires).toBeGreaterThan(Date.now() + 30 * DAY_MS);
  expect(expires).toBeLessThan(Date.now() + 365 * DAY_MS);
  // Served over plain http here: Canonical must be an https address, so it is left out.
  expect([...fields.keys()].sort()).toEqual(["Contact", "Expires", "Preferred-Languages"]);
});
