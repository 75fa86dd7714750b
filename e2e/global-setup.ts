import { writeFileSync } from "node:fs";
import type { FullConfig } from "@playwright/test";
import { buildIfNeeded } from "../scripts/build-if-needed";
import { startAppServer } from "./support/app-server";
import { E2E_PORT, STATE_FILE } from "./support/state";

/** Builds if needed and starts one server on a fresh data folder for the whole run. */
export default async function globalSetup(_config: FullConfig) {
  if (!buildIfNeeded()) throw new Error("next build failed");
  const server = await startAppServer({ port: E2E_PORT });
  try {
    if (server.demo.length < 4) throw new Error(`expected demo sign-ins, got:\n${server.output()}`);
    writeFileSync(STATE_FILE, JSON.stringify({ url: server.url, demo: server.demo }));
  } catch (error) {
    await server.stop();
    throw error;
  }
  return async () => {
    await server.stop();
  };
}
