import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, type Page } from "@playwright/test";
import { totpCode } from "../../lib/mfa/totp";
import { E2E_PORT } from "./state";

// Plays the person's authenticator app: keeps the secrets read from "Can't scan the image?" and
// the last time-step each account used, since every step is accepted only once.

type Device = { secret: string; lastStep: number };
type Store = Record<string, Device[]>;

// Servers on PostgreSQL share one database, so they share the devices too.
function storeFile(port: number) {
  const scope = process.env.DATABASE_URL ? "postgres" : String(port);
  return path.join(tmpdir(), `factor-e2e-authenticators-${scope}.json`);
}

/** The port of the server a page is on, which names its set of devices. */
export function portOf(page: Page): number {
  return Number(new URL(page.url()).port) || E2E_PORT;
}

function load(port: number): Store {
  const file = storeFile(port);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Store) : {};
}

function save(port: number, store: Store) {
  writeFileSync(storeFile(port), JSON.stringify(store));
}

/** Forget every device (a fresh server run). */
export function resetAuthenticators(port = E2E_PORT) {
  save(port, {});
}

export function addDevice(email: string, secret: string, usedStep: number, port = E2E_PORT) {
  const store = load(port);
  (store[email] ??= []).push({ secret, lastStep: usedStep });
  save(port, store);
}

export function devices(email: string, port = E2E_PORT): Device[] {
  return load(port)[email] ?? [];
}

export function removeDevice(email: string, secret: string, port = E2E_PORT) {
  const store = load(port);
  store[email] = (store[email] ?? []).filter((d) => d.secret !== secret);
  save(port, store);
}

const currentStep = () => Math.floor(Date.now() / 30_000);

/**
 * A code the server has not seen yet: the current step's, or the next one (accepted as clock
 * drift), or — when both are used — waits for time to move on.
 */
export async function freshCode(email: string, deviceIndex = 0, port = E2E_PORT): Promise<string> {
  const store = load(port);
  const device = store[email]?.[deviceIndex];
  if (!device) throw new Error(`no authenticator for ${email}`);
  // One step is shared by every device of the account only per device; each keeps its own.
  let step = Math.max(currentStep(), device.lastStep + 1);
  while (step > currentStep() + 1) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    step = Math.max(currentStep(), device.lastStep + 1);
  }
  device.lastStep = step;
  save(port, store);
  return totpCode(device.secret, new Date(step * 30_000 + 1000));
}

/**
 * Runs the wizard from "Start by getting the app" to "Success!", skipping the backup and the
 * recovery codes, and returns the secret.
 */
export async function completeAuthenticatorWizard(page: Page, email: string, deviceName = "Phone") {
  const secret = await setUpAuthenticatorApp(page, email, deviceName);
  await skipBackupAndCodes(page);
  await expect(page.getByRole("heading", { level: 1, name: "Success!" })).toBeVisible();
  return secret;
}

/**
 * The wizard's authenticator-app steps, from "Start by getting the app" to a right code; returns
 * the secret. The page then shows whatever comes after the first method.
 */
export async function setUpAuthenticatorApp(page: Page, email: string, deviceName = "Phone") {
  const port = portOf(page);
  await expect(
    page.getByRole("heading", { level: 1, name: "Start by getting the app" }),
  ).toBeVisible();
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Set up your account" })).toBeVisible();
  await page.getByRole("textbox", { name: "Device name" }).fill(deviceName);
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Scan the QR code" })).toBeVisible();
  await expect(page.getByRole("img", { name: "QR code" })).toBeVisible();
  await page.getByRole("button", { name: "Can't scan the image?" }).click();
  const secret = (await page.getByLabel("Secret key").innerText()).replace(/\s/g, "");
  await expect(page.getByLabel("Account name")).toHaveText(email);
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Enter code" })).toBeVisible();
  addDevice(email, secret, 0, port);
  const index = devices(email, port).length - 1;
  await page.getByRole("textbox", { name: "Code" }).fill(await freshCode(email, index, port));
  await page.getByRole("button", { name: "Next" }).click();
  return secret;
}

/** After the first method: "Skip for now" past the backup step, "Next" past recovery codes. */
export async function skipBackupAndCodes(page: Page) {
  await expect(page.getByRole("heading", { level: 1, name: "Add a backup method" })).toBeVisible();
  await page.getByRole("button", { name: "Skip for now" }).click();
  await expect(
    page.getByRole("heading", { level: 1, name: "Save your recovery codes" }),
  ).toBeVisible();
  await page.getByRole("button", { name: "Next" }).click();
}
