import { afterEach, describe, expect, it } from "vitest";
import { createOwnDatabase } from "../../e2e/support/database";
import { prepareBenchDatabase } from "../../scripts/bench/seed";
import { createBlankDatabase, createTestDatabase } from "@/lib/testing/test-database";
import { databaseHost, isOnThisMachine, refuseUnlessOnThisMachine } from "./local-database";

const REMOTE = "postgres://factor:secret@db.example.invalid:5432/factor";
const REFUSED =
  /^Refusing to .* on db\.example\.invalid: tests and scripts create and drop databases only on this machine/;

const saved = { DATABASE_URL: process.env.DATABASE_URL, PGHOST: process.env.PGHOST };
afterEach(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe("which database servers are on this machine", () => {
  it.each([
    ["postgres://factor:secret@localhost:5432/factor", "localhost"],
    ["postgresql://factor@LOCALHOST/factor", "localhost"],
    ["postgres://factor:secret@127.0.0.1:5432/factor_ci", "127.0.0.1"],
    ["postgres://factor@[::1]:5432/factor", "::1"],
    ["postgres://factor@%2Fvar%2Frun%2Fpostgresql/factor", "/var/run/postgresql"],
    ["postgres://factor@/factor?host=/var/run/postgresql", "/var/run/postgresql"],
    ["postgres://db.example.invalid/factor?host=/tmp", "/tmp"],
  ])("%s is on this machine (%s)", (url, host) => {
    delete process.env.PGHOST;
    expect(databaseHost(url)?.toLowerCase()).toBe(host);
    expect(isOnThisMachine(url)).toBe(true);
  });

  it.each([
    "postgres://factor:secret@db.example.invalid:5432/factor",
    "postgres://factor@10.0.0.5/factor",
    "postgres://factor@[2001:db8::1]/factor",
    "postgres://factor@localhost.example.invalid/factor",
    "postgres://factor@127.0.0.1.example.invalid/factor",
    "postgres://factor@localhost/factor?host=db.example.invalid",
    "postgres://factor@db.example.invalid/factor?host=",
    "mysql://factor@localhost/factor",
    "not a url",
  ])("%s is not", (url) => {
    delete process.env.PGHOST;
    expect(isOnThisMachine(url)).toBe(false);
  });

  it("reads a URL without a host as node-postgres does: PGHOST, else localhost", () => {
    delete process.env.PGHOST;
    expect(isOnThisMachine("postgres:///factor")).toBe(true);
    process.env.PGHOST = "db.example.invalid";
    expect(databaseHost("postgres:///factor")).toBe("db.example.invalid");
    expect(isOnThisMachine("postgres:///factor")).toBe(false);
    expect(isOnThisMachine("postgres://factor@/factor")).toBe(false);
  });

  it("refuses with a message that names the server and what to do", () => {
    expect(() => refuseUnlessOnThisMachine(REMOTE, "drop the database factor")).toThrow(
      "Refusing to drop the database factor on db.example.invalid: tests and scripts create and drop databases only on this machine (localhost, 127.0.0.1, ::1 or a Unix socket). Point DATABASE_URL at a PostgreSQL server here.",
    );
    expect(() =>
      refuseUnlessOnThisMachine("postgres://factor@127.0.0.1/factor", "drop it"),
    ).not.toThrow();
  });
});

// Each of these would create a database on DATABASE_URL's server and drop one there. A host that
// cannot resolve would fail with a different error if the check came after connecting.
describe("tests and scripts refuse a server elsewhere before touching it", () => {
  it("the Vitest databases", async () => {
    process.env.DATABASE_URL = REMOTE;
    await expect(createBlankDatabase()).rejects.toThrow(REFUSED);
    await expect(createTestDatabase()).rejects.toThrow(REFUSED);
  });

  it("the end-to-end databases of a spec's own", async () => {
    process.env.DATABASE_URL = REMOTE;
    await expect(createOwnDatabase("factor_e2e_own")).rejects.toThrow(REFUSED);
  });

  it("the benchmark's database", async () => {
    await expect(
      prepareBenchDatabase({
        scale: { users: 2, events: 2 },
        signers: 1,
        postgresUrl: REMOTE,
        fresh: true,
        log: () => {},
      }),
    ).rejects.toThrow(REFUSED);
  });
});
