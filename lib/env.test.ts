import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildEnv, ConfigError, parseSettings, secretsFor } from "./env";

describe("settings", () => {
  it("runs the embedded demo with no settings at all", () => {
    const env = buildEnv({});
    expect(env.PORT).toBe(3000);
    expect(env.embedded).toBe(true);
    expect(env.ORG_NAME).toBe("Example University");
    expect(env.ORG_COUNTRY).toBe("GB");
    expect(env.PUBLIC_URL).toBe("http://localhost:3000");
    expect(env.SESSION_IDLE_MINUTES).toBe(30);
    expect(env.SESSION_ABSOLUTE_HOURS).toBe(12);
  });

  it("uses PostgreSQL when DATABASE_URL is set", () => {
    expect(buildEnv({ DATABASE_URL: "postgres://a:b@127.0.0.1:5432/app" }).embedded).toBe(false);
  });

  it("names every invalid setting in one readable message", () => {
    let error: unknown;
    try {
      parseSettings({ PORT: "http", DATABASE_URL: "mysql://x", ORG_COUNTRY: "gbr" });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain("PORT:");
    expect(message).toContain("DATABASE_URL: must start with postgres://");
    expect(message).toContain("ORG_COUNTRY: must be a two-letter country code");
    expect(message).toContain(".env.example");
  });

  it("takes a fraction of a minute for the idle limit, down to 6 seconds", () => {
    expect(parseSettings({ SESSION_IDLE_MINUTES: "0.25" }).SESSION_IDLE_MINUTES).toBe(0.25);
    expect(() => parseSettings({ SESSION_IDLE_MINUTES: "0.05" })).toThrow(/SESSION_IDLE_MINUTES/);
  });

  it("leaves the directory off unless LDAP_URL is set, and then asks for what it needs", () => {
    expect(parseSettings({}).LDAP_URL).toBeUndefined();
    expect(() => parseSettings({ LDAP_URL: "ldaps://dc1.example.edu" })).toThrow(
      /LDAP_BIND_DN: must be set when LDAP_URL is[\s\S]*LDAP_BASE_DN: must be set/,
    );
    expect(() => parseSettings({ LDAP_URL: "http://dc1.example.edu" })).toThrow(
      /LDAP_URL: must be ldaps:\/\/host/,
    );
    expect(() => parseSettings({ LDAP_LOGIN_ATTRIBUTE: "(uid)" })).toThrow(/LDAP_LOGIN_ATTRIBUTE/);
    const settings = parseSettings({
      LDAP_URL: "ldap://dc1.example.edu:389",
      LDAP_BIND_DN: "cn=factor,ou=services,dc=example,dc=edu",
      LDAP_BIND_PASSWORD: "secret",
      LDAP_BASE_DN: "dc=example,dc=edu",
    });
    expect(settings).toMatchObject({ LDAP_ALLOW_PLAIN: false, LDAP_LOGIN_ATTRIBUTE: "uid" });
  });

  it("treats empty values as unset", () => {
    expect(parseSettings({ PORT: "", ORG_NAME: "" }).PORT).toBe(3000);
  });
});

describe("generated secrets", () => {
  it("are created once in the data folder with mode 0600 and reused", () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "factor-env-"));
    const first = secretsFor({ DATA_DIR: dataDir });
    const second = secretsFor({ DATA_DIR: dataDir });
    expect(first.authSecret.length).toBeGreaterThanOrEqual(43);
    expect(second.authSecret).toBe(first.authSecret);
    expect(second.sealingKeys[0]!.key.equals(first.sealingKeys[0]!.key)).toBe(true);
    expect(first.sealingKeys[0]!.key.length).toBe(32);
    expect(statSync(path.join(dataDir, "secrets.json")).mode & 0o777).toBe(0o600);
  });

  it("are not generated when the operator sets them", () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "factor-env-"));
    const key = Buffer.alloc(32, 7).toString("base64");
    const secrets = secretsFor({
      DATA_DIR: dataDir,
      AUTH_SECRET: "x".repeat(40),
      SEALING_KEYS: `k2:${key},k1:${key}`,
    });
    expect(secrets.authSecret).toBe("x".repeat(40));
    expect(secrets.sealingKeys.map((k) => k.id)).toEqual(["k2", "k1"]);
    expect(() => statSync(path.join(dataDir, "secrets.json"))).toThrow();
  });
});
