import { expect, test } from "@playwright/test";
import { signIn, submitPassword } from "./support/helpers";
import { callServerAction, redirectOf, serverActions } from "./support/server-actions";
import { tester } from "./support/state";

// R-A1.1, R-A1.2: after the password alone nothing counts as signed in — no page, route handler or
// server action gives anything away or changes anything.

test("a half-finished sign-in reaches no page, no route handler and no server action", async ({
  browser,
  baseURL,
}) => {
  const account = tester("halfway");
  const full = await browser.newContext();
  const fullPage = await full.newPage();
  await signIn(fullPage, account);
  const methodId = await fullPage.locator('input[name="methodId"]').first().inputValue();
  // Every action of the signed-in portal and of the registration wizard.
  const protectedActions = serverActions().filter((a) =>
    /^app\/(\(portal\)|register|change-password)\//.test(a.file),
  );
  expect(protectedActions.map((a) => a.name)).toEqual(
    expect.arrayContaining([
      "addMethodAction",
      "changeDefaultAction",
      "deleteMethodAction",
      "regenerateRecoveryCodesAction",
      "signOutEverywhereAction",
      "beginPhoneAction",
      "confirmPhoneCodeAction",
      "confirmEnrolmentAction",
    ]),
  );
  const fields = { methodId, method: "authenticator_app", choice: `${methodId}:code` };

  // The person with both factors can call an action this way: the request format is right.
  const control = await callServerAction(
    full.request,
    protectedActions.find((a) => a.name === "changeDefaultAction")!,
    fields,
    baseURL!,
  );
  expect(redirectOf(control)).toBe("/security-info?outcome=default-changed");

  const half = await browser.newContext();
  const halfPage = await half.newPage();
  await halfPage.goto("/signin");
  await submitPassword(halfPage, account.email, account.password);
  await expect(halfPage.getByRole("heading", { level: 1, name: "Enter code" })).toBeVisible();

  for (const path of [
    "/",
    "/security-info",
    "/sign-ins",
    "/register",
    "/register/app/scan",
    "/register/success",
  ]) {
    const response = await half.request.get(path, { maxRedirects: 0 });
    expect([303, 307], path).toContain(response.status());
    expect(response.headers().location, path).toMatch(/^\/signin/);
  }
  const session = await half.request.get("/api/auth/session");
  expect(await session.json()).toBeNull();

  for (const action of protectedActions) {
    const response = await callServerAction(
      half.request,
      action,
      action.name === "regenerateRecoveryCodesAction" ? null : fields,
      baseURL!,
    );
    const label = `${action.file} ${action.name}`;
    expect(redirectOf(response), label).toMatch(/^\/signin/);
    expect(await response.text(), label).not.toContain(account.email);
  }

  // Nothing changed: the method is still there and the other browser is still signed in.
  await fullPage.reload();
  await expect(fullPage.getByRole("heading", { level: 1, name: "Security info" })).toBeVisible();
  await expect(
    fullPage.getByRole("list", { name: "Sign-in methods" }).getByText(/^Authenticator app$/),
  ).toHaveCount(1);
  await expect(fullPage.getByText("0 codes left")).toBeVisible();
  await full.close();
  await half.close();
});
