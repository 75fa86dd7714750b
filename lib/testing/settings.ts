import { afterAll, beforeAll, beforeEach } from "vitest";
import { updateSettings, type SettingChange } from "@/lib/admin/settings";
import type { Db } from "@/lib/db/client";
import { settings } from "@/lib/db/schema";
import { refreshSettings } from "@/lib/settings/store";
import { createTestDatabase, type TestDatabase } from "./test-database";
import { createTestUser } from "./users";

/**
 * Changes organisation settings as an administrator would, and applies them in this process at
 * once; null puts a setting back to its default.
 */
export async function changeSettings(db: Db, adminId: string, change: SettingChange) {
  await updateSettings(db, change, {
    id: adminId,
    ip: "192.0.2.250",
    userAgent: "vitest",
    reason: "Set by a test",
  });
  await refreshSettings(db);
}

export type SettingsTestSetup = {
  database: TestDatabase;
  /** The administrator whose name settings changes are made in. */
  adminId: string;
};

/**
 * For one test file about behaviour the organisation's settings shape: a fresh database with an
 * administrator, and every setting back at its default before each test (change them with
 * changeSettings and `adminId`). The fields are filled by this file's first beforeAll, so read
 * them in later hooks and in tests.
 */
export function setUpSettingsTests(admin: {
  email: string;
  displayName: string;
}): SettingsTestSetup {
  const setup = {} as SettingsTestSetup;
  beforeAll(async () => {
    setup.database = await createTestDatabase();
    setup.adminId = (await createTestUser(setup.database.db, { ...admin, role: "admin" })).id;
  });
  afterAll(async () => {
    await setup.database?.dispose();
  });
  beforeEach(async () => {
    await setup.database.db.delete(settings);
    await refreshSettings(setup.database.db);
  });
  return setup;
}
