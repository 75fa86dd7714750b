import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, type Page } from "@playwright/test";
import { totpCode } from "../../lib/mfa/totp";
import { E2E_PORT } from "./state";

// Plays the person's authenticator app: keeps the secrets read from "Can't scan the image?" and
// the last time-step each account used, since every step is accepted only once.
//
// Devices belong to the database that holds their people: servers sharing one database share
// them, and a database of a test file's own starts with none, even for an email another
// database also has. Each account is kept in a file of its own, because the two end-to-end
// workers update their own accounts at the same time.

type Device = { secret: string; lastStep: number };

/** The database a server is on: a test file's own PostgreSQL database, the shared one, or a folder. */
function databaseName(dataDir: string, env: Record<string, string> = {}): string {
  if (env.DATABASE_URL) return `database-${new URL(env.DATABASE_URL).pathname.slice(1)}`;
  if (process.env.DATABASE_URL) return "postgres";
  return `folder-${path.basename(dataDir)}`;
}

const portFile = (port: number) => path.join(tmpdir(), `factor-e2e-database-of-port-${port}`);

/**
 * Says which database the server on `port` uses, before its accounts get devices; other processes
 * of the run (the workers) read it from a file.
 */
export function rememberDatabase(port: number, dataDir: string, env?: Record<string, string>) {
  writeFileSync(portFile(port), databaseName(dataDir, env));
}

function storeDir(port: number) {
  const name = existsSync(portFile(port)) ? readFileSync(portFile(port), "utf8") : `port-${port}`;
  return path.join(tmpdir(), "factor-e2e-authenticators", name);
}

function accountFile(email: string, port: number) {
  return path.join(storeDir(port), `${email}.json`);
}

/** The port of the server a page is on, which names its set of devices. */
export function portOf(page: Page): number {
  return Number(new URL(page.url()).port) || E2E_PORT;
}

export function devices(email: string, port = E2E_PORT): Device[] {
  const file = accountFile(email, port);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Device[]) : [];
}

function saveDevices(email: string, port: number, list: Device[]) {
  mkdirSync(storeDir(port), { recursive: true });
  writeFileSync(accountFile(email, port), JSON.stringify(list));
}

/** Forget every device of the server on `port` (a fresh run of the main server). */
export function resetAuthenticators(port = E2E_PORT) {
  rmSync(storeDir(port), { recursive: true, force: true });
}

export function addDevice(email: string, secret: string, usedStep: number, port = E2E_PORT) {
  saveDevices(email, port, [...devices(email, port), { secret, lastStep: usedStep }]);
}

export function removeDevice(email: string, secret: string, port = E2E_PORT) {
  saveDevices(
    email,
    port,
    devices(email, port).filter((d) => d.secret !== secret),
  );
}

const currentStep = () => Math.floor(Date.now() / 30_000);

/**
 * A code the server has not seen yet: the current step's, or the next one (accepted as clock
 * drift), or — when both are used — waits for time to move on.
 */
export async function freshCode(email: string, deviceIndex = 0, port = E2E_PORT): Promise<string> {
  const list = devices(email, port);
  const device = list[deviceIndex];
  if (!device) throw new Error(`no authenticator for ${email}`);
  // One step is shared by every device of the account only per device; each keeps its own.
  let step = Math.max(currentStep(), device.lastStep + 1);
  while (step > currentStep() + 1) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    step = Math.max(currentStep(), device.lastStep + 1);
  }
  device.lastStep = step;
  saveDevices(email, port, list);
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
