import { afterAll, beforeAll } from "vitest";
import { startTestDirectory, type TestDirectory } from "./directory";
import { createTestDatabase, type TestDatabase } from "./test-database";
import { createTestUser } from "./users";

export type DirectoryTestSetup = {
  directory: TestDirectory;
  database: TestDatabase;
  /** A local administrator: the break-glass account that signs in whatever the directory does. */
  breakGlass: Awaited<ReturnType<typeof createTestUser>>;
};

/** Settings are read once per process; forget them so the next read sees process.env. */
function forgetSettings() {
  (globalThis as { __factorEnv?: unknown }).__factorEnv = undefined;
}

/**
 * For one test file: a real OpenLDAP server, Factor's settings pointing at it (plus `env`), and a
 * fresh database with a local break-glass administrator, all undone after the file. The fields
 * are filled by this file's first beforeAll, so read them in later hooks and in tests.
 */
export function setUpDirectoryTests(env: Record<string, string> = {}): DirectoryTestSetup {
  const setup = {} as DirectoryTestSetup;
  const saved = { ...process.env };
  beforeAll(async () => {
    setup.directory = await startTestDirectory();
    Object.assign(process.env, setup.directory.settings, env);
    forgetSettings();
    setup.database = await createTestDatabase();
    setup.breakGlass = await createTestUser(setup.database.db, {
      email: "break.glass@example.edu",
      displayName: "Break Glass",
      role: "admin",
      mfaRequired: false,
    });
  });
  afterAll(async () => {
    await setup.database?.dispose();
    await setup.directory?.dispose();
    process.env = saved;
    forgetSettings();
  });
  return setup;
}
