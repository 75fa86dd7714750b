import { spawnSync } from "node:child_process";
import { expect, type Page } from "@playwright/test";
import type { Account } from "./accounts";
import type { NewTestApp } from "./create-apps";
import { passSecondStep, submitPassword } from "./helpers";
import { startRelyingParty, type RelyingParty } from "./relying-party";

// Apps for a test file: registered the way the console stores them before the file's server
// opens its database, then each played by a real relying party (e2e/support/relying-party.ts) on
// a port of its own, from `firstPort` up.

export type TestApp = Omit<NewTestApp, "redirectUris" | "backchannelLogoutUri">;

type Registered = { clientId: string; clientSecret?: string };

/** Registers `apps`; call before the server starts. Returns what starts their relying parties. */
export function registerTestApps<Name extends string>(
  apps: Record<Name, TestApp>,
  options: { dataDir: string; env: Record<string, string>; firstPort: number },
) {
  const names = Object.keys(apps) as Name[];
  const url = (index: number) => `http://localhost:${options.firstPort + index}`;
  const entries: NewTestApp[] = names.map((name, index) => ({
    ...apps[name],
    redirectUris: [`${url(index)}/callback`],
    backchannelLogoutUri: `${url(index)}/backchannel-logout`,
  }));
  const result = spawnSync("npx", ["tsx", "e2e/support/create-apps.ts"], {
    env: { ...process.env, DATA_DIR: options.dataDir, ...options.env },
    input: JSON.stringify(entries),
    encoding: "utf8",
  });
  if (result.status !== 0)
    throw new Error(`could not register apps:\n${result.stdout}${result.stderr}`);
  const registered = JSON.parse(result.stdout.trim().split("\n").at(-1)!) as Registered[];

  return {
    /** Starts one relying party per app, trusting `issuer`. */
    async start(issuer: string): Promise<Record<Name, RelyingParty>> {
      const parties = {} as Record<Name, RelyingParty>;
      for (const [index, name] of names.entries()) {
        parties[name] = await startRelyingParty({
          name: apps[name].name,
          port: options.firstPort + index,
          issuer,
          ...registered[index]!,
        });
      }
      return parties;
    },
  };
}

export const heading = (page: Page, name: string | RegExp) =>
  page.getByRole("heading", { level: 1, name });

/** Opens an app and signs in at Factor with password and a code, not staying signed in. */
export async function signInThroughApp(page: Page, party: RelyingParty, account: Account) {
  await page.goto(`${party.url}/login`);
  await expect(heading(page, "Sign in")).toBeVisible();
  await submitPassword(page, account.email, account.password);
  await passSecondStep(page, account.email);
  await page.getByRole("button", { name: "No" }).click();
  await expect(heading(page, `Signed in to ${party.name}`)).toBeVisible();
}
