import { beforeAll, describe, expect, it } from "vitest";
import type { SettingChange } from "@/lib/admin/settings";
import { changeSettings, setUpSettingsTests } from "@/lib/testing/settings";
import type { TestDatabase } from "@/lib/testing/test-database";
import { backupStatus } from "./backup";
import type { MethodKind, MethodView, Role } from "./registry";

// R-A9.7: a second way in that is not lost with the first, asked for as the settings say.

const setup = setUpSettingsTests({
  email: "backup-admin@example.edu",
  displayName: "Backup Admin",
});
let database: TestDatabase;
let adminId: string;
beforeAll(() => {
  ({ database, adminId } = setup);
});

const set = (change: SettingChange) => changeSettings(database.db, adminId, change);

function having(kinds: MethodKind[], role: Role = "user") {
  const methods: MethodView[] = kinds.map((kind, i) => ({
    id: `m${i}`,
    kind,
    label: kind,
    isDefault: i === 0,
    createdAt: new Date(0),
    lastUsedAt: null,
    data: null,
  }));
  return backupStatus({ methods, role });
}

describe("with the default rule (recommended)", () => {
  it("offers a kind that is not lost with the first method, and lets the person skip", () => {
    expect(having(["authenticator_app"])).toEqual({
      rule: "recommended",
      hasBackup: false,
      choices: ["mobile_phone", "passkey"],
      asked: true,
      required: false,
    });
    expect(having(["mobile_phone"]).choices).toEqual([
      "authenticator_app",
      "companion_app",
      "passkey",
    ]);
  });

  it("does not count a second app on the same handset as a backup", () => {
    expect(having(["authenticator_app", "companion_app"]).hasBackup).toBe(false);
    expect(having(["authenticator_app", "mobile_phone"]).hasBackup).toBe(true);
    expect(having(["passkey", "hardware_token"]).hasBackup).toBe(true);
  });

  it("asks nothing of someone with no method yet, or with a backup already", () => {
    expect(having([]).asked).toBe(false);
    const covered = having(["companion_app", "passkey"]);
    expect(covered).toMatchObject({ hasBackup: true, asked: false, choices: [] });
  });

  it("never offers a phone to a helpdesk or admin account (R-A5.6)", () => {
    expect(having(["authenticator_app"], "admin").choices).toEqual(["passkey"]);
  });
});

describe("as an administrator sets it", () => {
  it("required: no skipping while a backup is missing", async () => {
    await set({ backup_method: "required" });
    expect(having(["authenticator_app"])).toMatchObject({ asked: true, required: true });
    expect(having(["authenticator_app", "passkey"])).toMatchObject({
      asked: false,
      required: false,
    });
  });

  it("off: never asked", async () => {
    await set({ backup_method: "off" });
    expect(having(["authenticator_app"])).toMatchObject({ asked: false, required: false });
  });

  it("counts only the kinds chosen, in either place", async () => {
    await set({ backup_method: "required", backup_method_kinds: ["passkey"] });
    // An app and a phone: neither counts, so no backup yet — and only a passkey is offered.
    expect(having(["authenticator_app", "mobile_phone"])).toMatchObject({
      hasBackup: false,
      choices: ["passkey"],
      required: true,
    });
    expect(having(["passkey", "mobile_phone"]).hasBackup).toBe(true);
  });

  it("never requires what cannot be added, so nobody is shut out", async () => {
    await set({
      backup_method: "required",
      backup_method_kinds: ["passkey"],
      enabled_method_kinds: ["authenticator_app", "mobile_phone"],
    });
    // Only a passkey would count, and passkeys are switched off; a phone would not count.
    expect(having(["authenticator_app"])).toMatchObject({
      hasBackup: false,
      choices: [],
      asked: false,
      required: false,
    });
    // With passkeys back, an admin is asked for one; a phone is never offered to them (R-A5.6).
    await set({ enabled_method_kinds: ["authenticator_app", "mobile_phone", "passkey"] });
    expect(having(["authenticator_app"], "admin")).toMatchObject({
      choices: ["passkey"],
      required: true,
    });
  });
});
