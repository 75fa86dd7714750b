import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { FullConfig } from "@playwright/test";
import { buildIfNeeded } from "../scripts/build-if-needed";
import { createAccounts } from "./support/accounts";
import { startAppServer } from "./support/app-server";
import { rememberDatabase, resetAuthenticators } from "./support/authenticator";
import { resetSignedIn } from "./support/signed-in";
import {
  E2E_PORT,
  STATE_FILE,
  TESTER_DISPLAY_NAMES,
  TESTER_NAMES,
  TESTERS_WITH_APP,
} from "./support/state";

/** Builds if needed and starts one server on a fresh data folder for the whole run. */
export default async function globalSetup(_config: FullConfig) {
  if (!buildIfNeeded()) throw new Error("next build failed");
  resetSignedIn();
  // Accounts of its own for each MFA test, made with the operator command before the server
  // opens the database; the demo organisation is then seeded on request.
  const dataDir = mkdtempSync(path.join(tmpdir(), "factor-e2e-"));
  // A PostgreSQL database outlives the run; forget the devices an earlier run gave its people.
  rememberDatabase(E2E_PORT, dataDir);
  resetAuthenticators();
  const testers = Object.values(
    createAccounts(
      TESTER_NAMES.map((name) => ({
        name,
        displayName: TESTER_DISPLAY_NAMES[name],
        authenticator: TESTERS_WITH_APP.includes(name),
      })),
      dataDir,
      { port: E2E_PORT },
    ),
  );
  const server = await startAppServer({ port: E2E_PORT, dataDir, env: { SEED_DEMO: "true" } });
  try {
    if (server.demo.length < 4) throw new Error(`expected demo sign-ins, got:\n${server.output()}`);
    writeFileSync(
      STATE_FILE,
      JSON.stringify({ url: server.url, dataDir, demo: server.demo, testers }),
    );
  } catch (error) {
    await server.stop();
    throw error;
  }
  return async () => {
    await server.stop();
  };
}
