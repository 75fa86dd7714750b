import { expect, test } from "@playwright/test";
import { expectNoAccessibilityViolations, signIn } from "./support/helpers";
import { latestMessage, readOutbox } from "./support/outbox";
import { tester } from "./support/state";

test("the outbox shows the email about a change right after it, newest first", async ({ page }) => {
  const account = tester("outbox");
  expect(await readOutbox(page, { recipient: account.email })).toEqual([]);

  // The first sign-in registers an authenticator app: a change the person is told about.
  await signIn(page, account);
  const mail = await latestMessage(page, { channel: "Email", recipient: account.email });
  expect(mail.subject).toBe("A sign-in method was added");
  expect(mail.body).toContain("Hello Test outbox,");
  expect(mail.body).toContain("A sign-in method was added to your account: Authenticator app.");
  expect(mail.body).toMatch(/When: .+ UTC/);
  expect(mail.body).toContain("Device: ");
  expect(mail.body).not.toMatch(/https?:\/\/\S+\?\S*(token|code)=/i);

  await page.goto("/dev/outbox");
  await expect(page.getByRole("heading", { level: 1, name: "Outbox" })).toBeVisible();
  const items = page.getByRole("list", { name: "Messages" }).getByRole("listitem");
  await expect(items.first()).toBeVisible();
  // Newest first: the times on the page never go forward down the list.
  const times = await items
    .locator("time")
    .evaluateAll((nodes) => nodes.map((node) => Date.parse(node.getAttribute("datetime") ?? "")));
  expect(times).toEqual([...times].sort((a, b) => b - a));
  await expectNoAccessibilityViolations(page);
});
