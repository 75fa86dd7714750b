import { expect, type Page } from "@playwright/test";
import { codeIn, latestMessage } from "./outbox";

/** A UK national number as Factor stores it: "07400 412345" → "+447400412345". */
export function e164Of(national: string): string {
  return `+44${national.replace(/\s/g, "").slice(1)}`;
}

/**
 * Security info → "Add sign-in method" → Phone, registered by the code texted to it, as a person
 * adds a phone that takes texts. Starts on Security info; ends at the phone step's "SMS verified".
 */
export async function addTextPhone(page: Page, national: string) {
  await page.getByRole("button", { name: "Add sign-in method" }).click();
  const add = page.getByRole("dialog", { name: "Add a method" });
  await add
    .getByRole("combobox", { name: "Which method would you like to add?" })
    .selectOption({ label: "Phone" });
  await add.getByRole("button", { name: "Add" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Phone" })).toBeVisible();
  await page.getByRole("textbox", { name: "Phone number" }).fill(national);
  await page.getByRole("radio", { name: "Receive a code" }).check();
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Enter code" })).toBeVisible();
  const text = await latestMessage(page, { channel: "SMS", recipient: e164Of(national) });
  await page.getByRole("textbox", { name: "Code" }).fill(codeIn(text));
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByText("SMS verified")).toBeVisible();
}
