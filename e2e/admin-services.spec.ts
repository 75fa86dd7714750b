import { expect, test } from "@playwright/test";
import { freshCode } from "./support/authenticator";
import { expectNoAccessibilityViolations } from "./support/helpers";
import { signedIn } from "./support/signed-in";
import { demoAccount, tester } from "./support/state";

// The services API end to end: an administrator adds a service in the console and sees its key
// once; a script then calls POST /api/v1/verify with that key — no session, no Origin, as curl
// or a PAM module calls it — and the person's My sign-ins names the service (R-A20.5, R-A16.2).

const KEY_PATTERN = /^fsk_[A-Za-z0-9_-]{43}$/;
const run = String(Date.now() % 100_000).padStart(5, "0");

test("an administrator adds a service, whose key lets a script verify a person (R-A20.5)", async ({
  page,
  browser,
  baseURL,
}) => {
  const name = `Deploy check ${run}`;
  await signedIn(page, demoAccount("admin"), "/admin/users");
  await page
    .getByRole("navigation", { name: "Helpdesk console" })
    .getByRole("link", { name: "Services" })
    .click();
  await expect(page.getByRole("heading", { level: 1, name: "Services" })).toBeVisible();
  await expectNoAccessibilityViolations(page);

  // The form, from the keyboard: the dialog opens on its first field and Escape closes it.
  const add = page.getByRole("button", { name: "Add service" });
  await add.focus();
  await page.keyboard.press("Enter");
  const form = page.getByRole("dialog", { name: "Add service" });
  await expect(form.getByRole("textbox", { name: "Name" })).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(form).toBeHidden();
  await expect(add).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(form.getByRole("textbox", { name: "Name" })).toBeFocused();
  await expect(form.getByRole("combobox", { name: "Who can use it" })).toHaveValue("everyone");
  await expect(form.getByRole("combobox", { name: "Password" })).toHaveValue("yes");
  await expectNoAccessibilityViolations(page);

  // Without a reason nothing is saved, and the problem is tied to its field.
  await page.keyboard.type(name);
  await page.keyboard.press("Enter");
  await expect(form.getByRole("alert")).toHaveText(
    "Some fields need attention; nothing was saved.",
  );
  const reason = form.getByRole("textbox", { name: "Reason" });
  await expect(reason).toHaveAttribute("aria-invalid", "true");
  await expect(form.getByRole("textbox", { name: "Name" })).toHaveValue(name);
  await expectNoAccessibilityViolations(page);

  await reason.focus();
  await page.keyboard.type("Deploys ask for a second factor");
  await page.keyboard.press("Enter");
  await expect(form.getByText(`${name} was added.`)).toBeVisible();
  const key = (await form.getByLabel("API key").innerText()).trim();
  expect(key).toMatch(KEY_PATTERN);
  await expect(form.getByText("it will not be shown again")).toBeVisible();
  await expectNoAccessibilityViolations(page);

  // A script calls the API with the key: no cookie, no Origin.
  const person = tester("service-user");
  const verify = (authorization: string, body: unknown) =>
    fetch(`${baseURL}/api/v1/verify`, {
      method: "POST",
      headers: { Authorization: authorization, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  const refused = await verify(`Bearer fsk_${"x".repeat(43)}`, {
    user: person.email,
    password: person.password,
  });
  expect(refused.status).toBe(401);
  expect(await refused.json()).toMatchObject({ error: "invalid_key" });

  const answer = await verify(`Bearer ${key}`, {
    user: person.email,
    password: person.password,
    code: await freshCode(person.email),
  });
  expect(answer.status).toBe(200);
  expect(await answer.json()).toEqual({ result: "accept", message: "You are signed in." });

  // Reloaded, the console no longer has the key anywhere; the list shows its first characters.
  await page.reload();
  await expect(page.getByRole("heading", { level: 1, name: "Services" })).toBeVisible();
  expect(await page.content()).not.toContain(key);
  const row = page.getByRole("row").filter({ hasText: name });
  await expect(row).toContainText(key.slice(0, 12));
  await row.getByRole("link", { name }).click();
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  await expect(page.getByLabel("Endpoint")).toHaveText(`POST ${baseURL}/api/v1/verify`);
  await expect(page.getByLabel("Last used")).not.toHaveText("Never");
  await expectNoAccessibilityViolations(page);

  // The person sees the sign-in, named after the service.
  const context = await browser.newContext();
  const personPage = await context.newPage();
  await signedIn(personPage, person, "/sign-ins");
  const list = personPage.getByRole("list", { name: "Recent sign-ins" });
  await expect(list.getByRole("listitem").filter({ hasText: `Service (${name})` })).toHaveCount(1);
  await context.close();
});
