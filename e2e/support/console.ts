import { expect, type Page } from "@playwright/test";

// The administrators' console: its actions open a dialog that asks for a reason (R-A16.2).

/** Opens an action's dialog on a console page, gives a reason and confirms; returns the dialog. */
export async function confirmConsoleAction(
  page: Page,
  button: string,
  dialogName: string,
  reason: string,
) {
  await page.getByRole("button", { name: button, exact: true }).click();
  const dialog = page.getByRole("dialog", { name: dialogName });
  await dialog.getByRole("textbox", { name: "Reason" }).fill(reason);
  await dialog.getByRole("button", { name: "Confirm" }).click();
  return dialog;
}

/** The secret a dialog or page shows once (Client secret, Shared secret), as text. */
export async function shownSecret(scope: Pick<Page, "getByLabel">, label: string) {
  const shown = scope.getByLabel(label, { exact: true });
  await expect(shown).toBeVisible();
  return (await shown.innerText()).trim();
}
