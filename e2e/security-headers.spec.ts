import { expect, test } from "@playwright/test";
import { expectSecurityHeaders } from "./support/security-headers";
import { demoAccount } from "./support/state";
import { signedIn } from "./support/signed-in";

test("pages, errors and static files carry the security headers (R-A17.5)", async ({
  request,
  page,
}) => {
  const signin = await request.get("/signin");
  expectSecurityHeaders(signin.headers());
  const missing = await request.get("/no-such-page");
  expect(missing.status()).toBe(404);
  expectSecurityHeaders(missing.headers());
  const icon = await request.get("/icon.svg");
  expect(icon.status()).toBe(200);
  expectSecurityHeaders(icon.headers());

  // Each response has its own nonce, and the page's scripts use it.
  const again = await request.get("/signin");
  expect(again.headers()["content-security-policy"]).not.toBe(
    signin.headers()["content-security-policy"],
  );
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content.Security.Policy/i.test(message.text())) violations.push(message.text());
  });
  await page.goto("/signin");
  await expect(page.getByRole("button", { name: "Sign in", exact: true })).toBeEnabled();
  expect(violations).toEqual([]);
});

test("signed-in pages are never cached (R-A12.10)", async ({ page }) => {
  await signedIn(page, demoAccount("student"));
  const response = await page.goto("/");
  expect(response!.headers()["cache-control"]).toContain("no-store");
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
});

test("state-changing requests from elsewhere are refused (R-A17.2)", async ({
  request,
  baseURL,
}) => {
  const noOrigin = await request.post("/signout", { maxRedirects: 0 });
  expect(noOrigin.status()).toBe(403);
  const foreign = await request.post("/signout", {
    headers: { Origin: "https://evil.example" },
    maxRedirects: 0,
  });
  expect(foreign.status()).toBe(403);
  const sameOrigin = await request.post("/signout", {
    headers: { Origin: baseURL! },
    maxRedirects: 0,
  });
  expect(sameOrigin.status()).toBe(303);
  // Not "storage": that would erase the Authenticator app kept in this origin (R-A12.10).
  expect(sameOrigin.headers()["clear-site-data"]).toBe('"cache"');
  expect(sameOrigin.headers()["set-cookie"]).toMatch(/factor\.session=;.*Max-Age=0/);
  const viaGet = await request.get("/signout", { maxRedirects: 0 });
  expect(viaGet.status()).toBe(405);
});
