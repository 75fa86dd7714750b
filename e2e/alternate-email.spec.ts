import { expect, test, type Page } from "@playwright/test";
import { freshCode } from "./support/authenticator";
import { expectNoAccessibilityViolations, mainAlert, signIn } from "./support/helpers";
import { latestMessage, waitForNewMessage, type OutboxMessage } from "./support/outbox";
import { tester } from "./support/state";

// The alternate email (docs/decisions/0023): added and verified in Security info through an
// emailed 8-digit code, told about on both addresses, usable in a password reset, never at
// sign-in, and deleted again.

const HOME = "alex.home@example.org";

function emailedCode(message: OutboxMessage): string {
  const code = /\b(\d{8})\b/.exec(message.body)?.[1];
  if (!code) throw new Error(`no 8-digit code in: ${message.body}`);
  return code;
}

async function sendCode(page: Page, address: string) {
  return waitForNewMessage(page, { channel: "Email", recipient: address }, async () => {
    await page.getByRole("textbox", { name: "Alternate email" }).fill(address);
    await page.getByRole("button", { name: "Send code" }).click();
    await expect(page.getByRole("textbox", { name: "Code" })).toBeVisible();
  });
}

test("an alternate email is verified through the outbox, gets notices, serves a reset and is deleted", async ({
  page,
}) => {
  test.setTimeout(180_000);
  const account = tester("alternate-email");
  await signIn(page, account);
  await page.goto("/security-info");
  const section = page.getByRole("region", { name: "Alternate email" });
  await section.getByRole("button", { name: "Add alternate email" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Alternate email" })).toBeVisible();
  await expectNoAccessibilityViolations(page);

  // The sign-in address is refused with a clear error; nothing is sent to it.
  await page.getByRole("textbox", { name: "Alternate email" }).fill(account.email);
  await page.getByRole("button", { name: "Send code" }).click();
  await expect(page.getByRole("textbox", { name: "Alternate email" })).toHaveAccessibleDescription(
    "Enter a personal address, not the one you sign in with.",
  );
  await expectNoAccessibilityViolations(page);

  const message = await sendCode(page, HOME);
  expect(message.body).toMatch(/verification code is \d{8}\./);
  expect(message.body).not.toMatch(/https?:\/\//);
  await expectNoAccessibilityViolations(page);

  // A wrong code: a clear error, and the address is not added.
  await page.getByRole("textbox", { name: "Code" }).fill("00000000");
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByRole("textbox", { name: "Code" })).toHaveAccessibleDescription(
    "That code didn't work. Check it and try again.",
  );
  await page.goto("/security-info");
  await expect(
    page.getByRole("region", { name: "Alternate email" }).getByRole("button", {
      name: "Add alternate email",
    }),
  ).toBeVisible();
  await page.goto("/security-info/alternate-email?sent=1");
  await page.getByRole("textbox", { name: "Code" }).fill(emailedCode(message));
  await page.getByRole("button", { name: "Verify" }).click();

  await expect(page.getByRole("heading", { level: 1, name: "Security info" })).toBeVisible();
  await expect(page.getByRole("main").getByRole("status")).toHaveText(
    "Your alternate email was verified.",
  );
  await expect(section).toContainText(HOME);
  await expectNoAccessibilityViolations(page);
  // It is not a sign-in method.
  await expect(page.getByRole("list", { name: "Sign-in methods" })).not.toContainText(HOME);
  // Both addresses are told.
  for (const recipient of [account.email, HOME]) {
    await latestMessage(page, {
      channel: "Email",
      recipient,
      subject: "Your alternate email was changed",
    });
  }

  // A password reset can use it with the app (two methods by default). Emailed codes are spaced
  // like texts (a minute apart per account, R-A5.4), so the verification code just sent must
  // age first: end-to-end tests keep real time.
  await page.waitForTimeout(61_000);
  const reset = await page
    .context()
    .browser()!
    .newContext({ baseURL: test.info().project.use.baseURL });
  const stranger = await reset.newPage();
  await stranger.goto("/reset-password");
  await stranger.getByRole("textbox", { name: "Email" }).fill(account.email);
  await stranger.getByRole("button", { name: "Next" }).click();
  await expect(
    stranger.getByRole("heading", { level: 1, name: "Verify your identity" }),
  ).toBeVisible();
  const resetCode = await waitForNewMessage(
    stranger,
    { channel: "Email", recipient: HOME, body: "to reset your password" },
    () => stranger.getByRole("button", { name: "Email a code to my alternate email" }).click(),
  );
  await expect(stranger.getByRole("textbox", { name: "Code" })).toBeVisible();
  await expectNoAccessibilityViolations(stranger);
  await stranger.getByRole("textbox", { name: "Code" }).fill(emailedCode(resetCode));
  await stranger.getByRole("button", { name: "Verify", exact: true }).click();
  await expect(stranger.getByRole("main")).toContainText("1 of 2 done");
  await expect(
    stranger.getByRole("button", { name: "Email a code to my alternate email" }),
  ).toHaveCount(0);
  await stranger.getByRole("button", { name: "Use a verification code" }).click();
  await stranger.getByRole("textbox", { name: "Code" }).fill(await freshCode(account.email));
  await stranger.getByRole("button", { name: "Verify", exact: true }).click();
  await expect(
    stranger.getByRole("heading", { level: 1, name: "Choose a new password" }),
  ).toBeVisible();
  await reset.close();

  // Deleting it asks first, then it is gone and told.
  await page.goto("/security-info");
  await section.getByRole("button", { name: "Delete alternate email" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
  await expect(page.getByRole("main").getByRole("status")).toHaveText(
    "Your alternate email was deleted.",
  );
  await expect(section).not.toContainText(HOME);
  await latestMessage(page, {
    channel: "Email",
    recipient: HOME,
    subject: "Your alternate email was removed",
  });
  await expect(mainAlert(page)).toHaveCount(0);
});
