import { existsSync } from "node:fs";
import { defineConfig, devices } from "@playwright/test";
import { E2E_PORT } from "./e2e/support/state";

// Debian's chromium where it is installed (Playwright cannot download its own here); elsewhere
// Playwright's own browser.
const executablePath =
  process.env.CHROMIUM_PATH ?? (existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined);

export default defineConfig({
  testDir: "./e2e",
  globalSetup: "./e2e/global-setup.ts",
  fullyParallel: false,
  // One worker: the suites share one server, and argon2 is CPU-bound on two cores.
  workers: 1,
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
  projects: [{ name: "chromium", use: { ...devices["Desktop Chrome"] } }],
});
