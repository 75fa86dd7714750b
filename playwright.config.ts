import { existsSync } from "node:fs";
import { defineConfig, devices } from "@playwright/test";
import { E2E_PORT } from "./e2e/support/state";

// Debian's chromium where it is installed (Playwright cannot download its own here); elsewhere
// Playwright's own browser.
const executablePath =
  process.env.CHROMIUM_PATH ?? (existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined);

// Specs with a server of their own that spend much of their time waiting out real clocks: codes
// and requests expiring, pauses after wrong codes, send intervals, idle and step-up timeouts, a
// recovery's waiting period. They run one at a time beside the others, so their waits overlap
// with work instead of adding to it.
const WAITING_SPECS = [
  "phone.spec.ts",
  "second-step-attacks.spec.ts",
  "push-limits.spec.ts",
  "companion.spec.ts",
  "idle-timeout.spec.ts",
  "sessions.spec.ts",
  "secure-account.spec.ts",
  "account-recovery.spec.ts",
].map((file) => `**/${file}`);

export default defineConfig({
  testDir: "./e2e",
  globalSetup: "./e2e/global-setup.ts",
  fullyParallel: false,
  // Two workers, one per project below: each project runs its files one at a time, because the
  // specs of the first share one server and argon2 is CPU-bound on two cores.
  workers: 2,
  retries: 0,
  forbidOnly: true,
  // A CI machine may be busier and slower than a laptop; a slow step there is not a failure of
  // what it checks.
  timeout: process.env.CI ? 120_000 : 60_000,
  expect: { timeout: process.env.CI ? 20_000 : 10_000 },
  // Lanes run side by side in CI, so each keeps its own traces.
  outputDir: process.env.TEST_LANE ? `test-results/${process.env.TEST_LANE}` : "test-results",
  reporter: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME ? [["list"], ["json"]] : [["list"]],
  use: {
    baseURL: `http://localhost:${E2E_PORT}`,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
      ],
    },
  },
  projects: [
    {
      name: "chromium",
      use: { ...devices["Desktop Chrome"] },
      testIgnore: WAITING_SPECS,
      workers: 1,
    },
    {
      name: "chromium-waiting",
      use: { ...devices["Desktop Chrome"] },
      testMatch: WAITING_SPECS,
      workers: 1,
    },
  ],
});
