import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pinClock } from "@/lib/testing/clock";
import { createTestDatabase } from "@/lib/testing/test-database";
import {
  everyNthFailure,
  getThrottle,
  MAX_LOCK_SECONDS,
  recordFailure,
  resetThrottle,
} from "./throttle";

const policy = { lockSeconds: everyNthFailure(10, 60), hardCap: 100 };
let database: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.dispose();
});

describe("failure counters (R-A11.2, R-A11.3)", () => {
  it("counts 20 concurrent distinct failures exactly and locks", async () => {
    const { db } = database;
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        recordFailure(db, "password:account", "concurrent", policy, { fingerprint: `fp${i}` }),
      ),
    );
    const state = await getThrottle(db, "password:account", "concurrent");
    expect(state.failures).toBe(20);
    expect(state.locked).toBe(true);
  });

  it("counts every wrong one-time code, repeated or not (R-A11.1)", async () => {
    const { db } = database;
    for (let i = 0; i < 15; i++) await recordFailure(db, "mfa:option", "codes", policy);
    const state = await getThrottle(db, "mfa:option", "codes");
    expect(state.failures).toBe(15);
    expect(state.locked).toBe(true);
  });

  it("does not count the same wrong password twice", async () => {
    const { db } = database;
    for (let i = 0; i < 15; i++)
      await recordFailure(db, "password:account", "repeat", policy, { fingerprint: "same" });
    const state = await getThrottle(db, "password:account", "repeat");
    expect(state.failures).toBe(1);
    expect(state.locked).toBe(false);
  });

  it("locks for the base time at the threshold, doubling on each further lock, capped at an hour", async () => {
    const { db } = database;
    const lengths: number[] = [];
    for (let i = 1; i <= 80; i++) {
      const result = await recordFailure(db, "password:account", "growth", policy, {
        fingerprint: `fp${i}`,
      });
      if (i % 10 === 0) {
        expect(result.lockStarted).toBe(true);
        lengths.push(Math.round((result.lockedUntil!.getTime() - Date.now()) / 1000));
      } else {
        expect(result.lockStarted).toBe(false);
      }
    }
    expect(lengths.slice(0, 4).map((s) => Math.round(s / 60))).toEqual([1, 2, 4, 8]);
    expect(Math.max(...lengths)).toBeLessThanOrEqual(MAX_LOCK_SECONDS);
    expect(lengths.at(-1)).toBeGreaterThan(MAX_LOCK_SECONDS - 5);
  });

  it("locks until someone unlocks it after 100 consecutive failures (R-A11.1)", async () => {
    const { db } = database;
    let last;
    for (let i = 1; i <= 100; i++)
      last = await recordFailure(db, "password:account", "cap", policy, { fingerprint: `fp${i}` });
    expect(last!.lockStarted).toBe(true);
    expect(last!.lockedUntil!.getTime() - Date.now()).toBeGreaterThan(50 * 365 * 24 * 3600 * 1000);
    await resetThrottle(db, "password:account", "cap");
    expect(await getThrottle(db, "password:account", "cap")).toMatchObject({
      failures: 0,
      locked: false,
    });
  });

  it("writes, checks and counts down a lock with the database's clock alone", async () => {
    const { db } = database;
    pinClock(Date.now() - 3_600_000); // the app's clock an hour behind the database's
    let last;
    for (let i = 1; i <= 10; i++) last = await recordFailure(db, "mfa:option", "one-clock", policy);
    expect(last!.lockStarted).toBe(true);
    expect(last!.secondsLeft).toBeGreaterThan(55);
    expect(last!.secondsLeft).toBeLessThanOrEqual(60);
    const state = await getThrottle(db, "mfa:option", "one-clock");
    expect(state.locked).toBe(true);
    expect(state.secondsLeft).toBeLessThanOrEqual(60);
  });

  it("keeps scopes and keys apart", async () => {
    const { db } = database;
    await recordFailure(db, "password:ip", "192.0.2.1", policy, { fingerprint: "x" });
    expect((await getThrottle(db, "password:account", "192.0.2.1")).failures).toBe(0);
    expect((await getThrottle(db, "password:ip", "192.0.2.1")).failures).toBe(1);
  });
});
