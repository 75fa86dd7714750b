import { expect, test } from "@playwright/test";
import {
  expectNoAccessibilityViolations,
  mainAlert,
  signIn,
  submitPassword,
} from "./support/helpers";
import { demoAccount, demoSignIns } from "./support/state";

const INCORRECT = "Your account or password is incorrect.";

test("every demo account printed at start-up signs in and lands in the portal", async ({
  page,
}) => {
  const accounts = demoSignIns();
  expect(accounts.map((a) => a.role).sort()).toEqual(["admin", "helpdesk", "user", "user"]);
  for (const account of accounts.filter((a) => a.email !== demoAccount("staff").email)) {
    await signIn(page, account);
    await expect(page).toHaveURL(/\/security-info$/);
    await expect(page.getByRole("heading", { level: 1, name: "Security info" })).toBeVisible();
    await expect(
      page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Overview" }),
    ).toBeVisible();
    await expect(
      page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Help" }),
    ).toBeVisible();
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
  }
});

test("a wrong password and an unknown account cannot be told apart", async ({ page }) => {
  const student = demoAccount("student");
  const unknown = "no.such.person@example.edu";
  const outcomes: { status: number; main: string }[] = [];
  await page.goto("/signin");
  for (const email of [student.email, unknown]) {
    const response = page.waitForResponse(
      (r) => r.request().method() === "POST" && new URL(r.url()).pathname === "/signin",
    );
    await submitPassword(page, email, "definitely-not-it");
    await expect(mainAlert(page)).toHaveText(INCORRECT);
    await expect(page.getByRole("textbox", { name: "Email" })).toHaveValue(email);
    await expect(page.getByLabel("Password")).toHaveValue("");
    const main = (await page.getByRole("main").innerHTML()).replaceAll(email, "EMAIL");
    outcomes.push({ status: (await response).status(), main });
  }
  expect(outcomes[0]!.status).toBe(outcomes[1]!.status);
  expect(outcomes[0]!.main).toBe(outcomes[1]!.main);
  await expect(page).toHaveURL(/\/signin$/);
});

test("empty fields get a clear error tied to the field", async ({ page }) => {
  await page.goto("/signin");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  const email = page.getByRole("textbox", { name: "Email" });
  await expect(email).toHaveAttribute("aria-invalid", "true");
  await expect(email).toHaveAccessibleDescription("Enter your email address.");
  await expect(page.getByLabel("Password")).toHaveAccessibleDescription("Enter your password.");
});

test("a safe callbackUrl is followed after sign-in; a foreign one is not", async ({ page }) => {
  const admin = demoAccount("admin");
  await signIn(page, admin, { path: "/signin?callbackUrl=%2Fhelp" });
  await expect(page).toHaveURL(/\/help$/);
  await expect(page.getByRole("heading", { level: 1, name: "Help" })).toBeVisible();
  await page.getByRole("button", { name: "Sign out", exact: true }).click();

  await signIn(page, admin, { path: "/signin?callbackUrl=%2F%2Fevil.example%2Fsteal" });
  expect(new URL(page.url()).host).toBe(new URL(test.info().project.use.baseURL!).host);
  await expect(page).toHaveURL(/\/security-info$/);
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
});

test("a signed-out visitor is sent to sign in and brought back", async ({ page }) => {
  await page.goto("/devices");
  await expect(page).toHaveURL(/\/signin\?callbackUrl=%2Fdevices$/);
  await signIn(page, demoAccount("helpdesk"), { path: page.url() });
  await expect(page).toHaveURL(/\/devices$/);
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
});

test("Help is public: linked from every sign-in step, readable signed out, one anchor per answer", async ({
  page,
}) => {
  await page.goto("/signin");
  await page.getByRole("link", { name: "Help", exact: true }).click();
  await expect(page).toHaveURL(/\/help$/);
  await expect(page.getByRole("heading", { level: 1, name: "Help" })).toBeVisible();
  // Nothing personal, no portal navigation: a way to sign in instead.
  await expect(page.getByRole("button", { name: "Sign out", exact: true })).toHaveCount(0);
  await expect(page.getByRole("navigation", { name: "Main" })).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Sign in", exact: true })).toBeVisible();
  await expect(page.getByRole("textbox", { name: "How can we help?" })).toHaveCount(0);
  await expectNoAccessibilityViolations(page);
  for (const [anchor, question] of [
    ["forgot-password", "I forgot my password. How do I get back in?"],
    ["lost-phone", "I lost my phone, or it was stolen. What do I do?"],
    ["new-phone", "I have a new phone. How do I move my sign-in methods to it?"],
    ["no-mobile-phone", "I do not have a mobile phone. What can I do?"],
    ["travelling", "I am travelling abroad. Will I still be able to sign in?"],
    ["limited-signal", "What if I have limited wifi or phone signal?"],
    ["no-notifications", "The Authenticator app doesn't show my sign-in requests. What can I do?"],
    ["access-reject", "The VPN or wifi says \u201cAccess-Reject\u201d. What does that mean?"],
  ]) {
    await page.goto(`/help#${anchor}`);
    await expect(page.getByRole("heading", { level: 2, name: question })).toHaveAttribute(
      "id",
      anchor!,
    );
  }
  await page
    .getByRole("navigation", { name: "Questions" })
    .getByRole("link", { name: "I lost my phone, or it was stolen. What do I do?" })
    .click();
  await expect(page).toHaveURL(/\/help#lost-phone$/);

  // Half way through a sign-in, too.
  const student = demoAccount("student");
  await page.goto("/signin");
  await submitPassword(page, student.email, student.password);
  await expect(
    page
      .getByRole("heading", { level: 1, name: "Enter code" })
      .or(page.getByRole("heading", { level: 1, name: "More information required" })),
  ).toBeVisible();
  await page.getByRole("link", { name: "Help", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Help" })).toBeVisible();
});

test("after signing out, Back shows nothing private", async ({ page }) => {
  const student = demoAccount("student");
  await signIn(page, student);
  await page.goto("/devices");
  await expect(
    page.getByText(student.email.startsWith("alex") ? "Alex Morgan" : student.email),
  ).toBeVisible();
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page.getByRole("main").getByRole("status")).toHaveText("You have signed out.");
  await page.goBack();
  await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
  await expect(page.getByText("Alex Morgan")).toHaveCount(0);
  await page.goto("/");
  await expect(page).toHaveURL(/\/signin/);
});

test("'Stay signed in?' Yes keeps the person signed in with a secure host-only cookie that sign-out clears", async ({
  page,
  context,
}) => {
  const helpdesk = demoAccount("helpdesk");
  await signIn(page, helpdesk, { staySignedIn: true });
  await page.goto("/");
  await expect(page.getByText("staying signed in on this browser")).toBeVisible();
  const session = (await context.cookies()).find((c) => c.name.endsWith("factor.session"));
  expect(session).toMatchObject({ httpOnly: true, sameSite: "Lax", path: "/" });
  // "Yes": a persistent cookie for the policy's 90 days.
  expect(session!.expires * 1000 - Date.now()).toBeGreaterThan(89 * 24 * 3600_000);
  expect(session!.name.startsWith("__Host-")).toBe(true);
  expect(session!.secure).toBe(true);
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  expect((await context.cookies()).find((c) => c.name.endsWith("factor.session"))).toBeUndefined();

  // "No": a cookie that ends with the browser session.
  await signIn(page, helpdesk, { staySignedIn: false });
  const browserSession = (await context.cookies()).find((c) => c.name.endsWith("factor.session"));
  expect(browserSession!.expires).toBe(-1);
  await page.goto("/");
  await expect(page.getByText("when the browser closes")).toBeVisible();
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
});

// Locks the staff account for the rest of the run: keep this test last and the account unused.
test("ten wrong passwords lock the account, and the lock looks like any wrong password", async ({
  page,
}) => {
  const staff = demoAccount("staff");
  await page.goto("/signin");
  for (let i = 1; i <= 10; i++) {
    await submitPassword(page, staff.email, `wrong-password-${i}`);
    await expect(mainAlert(page)).toHaveText(INCORRECT);
    await expect(page.getByRole("button", { name: "Sign in", exact: true })).toBeEnabled();
  }
  // The right password is now refused with the very same message.
  await submitPassword(page, staff.email, staff.password);
  await expect(mainAlert(page)).toHaveText(INCORRECT);
  await expect(page).toHaveURL(/\/signin$/);
  await expect(page.getByRole("heading", { level: 1, name: "Stay signed in?" })).toHaveCount(0);
});
