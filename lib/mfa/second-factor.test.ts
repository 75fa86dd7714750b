import { and, eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { auditLog, authThrottles, mfaMethods, outbox } from "@/lib/db/schema";
import { getThrottle } from "@/lib/security/throttle";
import { createTestDatabase } from "@/lib/testing/test-database";
import {
  beginAuthenticatorEnrolment,
  confirmAuthenticatorEnrolment,
  getPendingEnrolment,
} from "./authenticator-app";
import { getMethodSummary } from "./methods";
import { regenerateRecoveryCodes } from "./recovery-codes";
import { verifySecondFactor } from "./second-factor";
import { totpCode } from "./totp";
import { createTestUser } from "@/lib/testing/users";
import { clock } from "@/lib/clock";
import { pinClock } from "@/lib/testing/clock";

const context = { ip: "192.0.2.44", userAgent: "vitest", purpose: "sign_in" as const };
let database: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.dispose();
});

const at = (step: number) => new Date(step * 30_000 + 1000);
const nowStep = () => Math.floor(clock.ms() / 30_000);

/**
 * A user with one confirmed authenticator app; returns the app's secret and the step used. By
 * default the previous step, so the current code is still unused for the test's sign-in.
 */
async function enrolledUser(email: string, step = nowStep() - 1) {
  const { db } = database;
  const { id } = await createTestUser(db, { email, displayName: "Test", role: "user" });
  await beginAuthenticatorEnrolment(db, id, "Phone");
  const pending = await getPendingEnrolment(db, id, {
    issuer: "Example University",
    account: email,
  });
  expect(
    await confirmAuthenticatorEnrolment(db, id, await totpCode(pending!.secret, at(step))),
  ).toMatchObject({ ok: true });
  return { user: { id, email, displayName: "Test" }, secret: pending!.secret, step };
}

describe("authenticator app", () => {
  // Codes are made for "now" and checked against "now": time stands still in each test, so the
  // two can never fall in different 30-second steps.
  beforeEach(() => {
    pinClock();
  });

  it("stores the secret sealed and makes the first app the default", async () => {
    const { user, secret } = await enrolledUser("sealed@example.edu");
    const [row] = await database.db.select().from(mfaMethods).where(eq(mfaMethods.userId, user.id));
    expect(row!.secretSealed).not.toContain(secret);
    expect(row!.isDefault).toBe(true);
    expect((await getMethodSummary(database.db, user.id)).defaultChoice?.option).toBe("code");
  });

  it("does not accept the enrolment code again at sign-in (R-A4.4)", async () => {
    const { user, secret, step } = await enrolledUser("enrol-code@example.edu", nowStep());
    const result = await verifySecondFactor(
      database.db,
      user,
      "code",
      await totpCode(secret, at(step)),
      context,
    );
    expect(result.ok).toBe(false);
    const replays = await database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.subjectId, user.id), eq(auditLog.action, "auth.mfa.replay")));
    expect(replays).toHaveLength(1);
    const mail = await database.db.select().from(outbox).where(eq(outbox.userId, user.id));
    expect(mail.map((m) => m.subject)).toContain("A used verification code was entered again");
    expect(mail.every((m) => !m.body.includes(secret))).toBe(true);
  });

  it("lets exactly one of two parallel submissions of the same code through (R-A4.3)", async () => {
    const { user, secret } = await enrolledUser("parallel@example.edu");
    const code = await totpCode(secret, at(nowStep()));
    const results = await Promise.all([
      verifySecondFactor(database.db, user, "code", code, context),
      verifySecondFactor(database.db, user, "code", code, context),
    ]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    const [row] = await database.db.select().from(mfaMethods).where(eq(mfaMethods.userId, user.id));
    expect(row!.lastUsedStep).toBe(nowStep());
  });

  it("counts wrong codes per account and refuses the right one while paused (R-A11.2, R-A11.5)", async () => {
    const { user, secret } = await enrolledUser("paused@example.edu");
    for (let i = 0; i < 5; i++) {
      const result = await verifySecondFactor(
        database.db,
        user,
        "code",
        String(200000 + i),
        context,
      );
      expect(result).toMatchObject({ ok: false, reason: "invalid" });
      if (i === 4) expect(result.ok === false && result.waitSeconds).toBeGreaterThanOrEqual(29);
    }
    const right = await verifySecondFactor(
      database.db,
      user,
      "code",
      await totpCode(secret, at(nowStep())),
      context,
    );
    expect(right.ok).toBe(false);
    expect((await getThrottle(database.db, "mfa:account", user.id)).failures).toBe(5);
    // The owner heard once that the password was used and verification failed (R-A15.1).
    const told = await database.db
      .select({ subject: outbox.subject })
      .from(outbox)
      .where(eq(outbox.recipient, user.email));
    expect(
      told.filter((m) => m.subject === "Your password was used, but verification failed"),
    ).toHaveLength(1);
  });

  it("counts the same ten wrong codes again in later time-steps, up to the hard stop (R-A11.1)", async () => {
    const { user, secret } = await enrolledUser("cycled@example.edu");
    const step = nowStep();
    const valid = await Promise.all([-1, 0, 1, 2].map((d) => totpCode(secret, at(step + d))));
    const cycle = Array.from({ length: 20 }, (_, i) => String(400000 + i))
      .filter((code) => !valid.includes(code))
      .slice(0, 10);
    // Each pause is waited out before the next guess, as a patient attacker would.
    const waitOutPause = () =>
      database.db
        .update(authThrottles)
        .set({ lockedUntil: sql`now() - interval '1 second'` })
        .where(inArray(authThrottles.key, [user.id, `${user.id}:code`]));
    const waits: (number | null)[] = [];
    for (let attempt = 1; attempt <= 100; attempt++) {
      await waitOutPause();
      const result = await verifySecondFactor(
        database.db,
        user,
        "code",
        cycle[(attempt - 1) % 10]!,
        context,
      );
      expect(result.ok).toBe(false);
      waits.push(result.ok ? null : result.waitSeconds);
    }
    // The second and every later round pauses like the first — 30 s at the 5th, doubling, then
    // 15 minutes at each 10th — and also at its first codes, as the run goes on.
    for (const round of [1, 5, 8]) expect(waits[round * 10]).toBeGreaterThanOrEqual(29);
    for (const round of [0, 1, 5, 8]) {
      expect(waits[round * 10 + 4]).toBeGreaterThanOrEqual(29);
      expect(waits[round * 10 + 5]).toBeGreaterThanOrEqual(59);
      expect(waits[round * 10 + 9]).toBeGreaterThanOrEqual(899);
    }
    expect(waits[99]).toBeGreaterThan(50 * 365 * 24 * 3600);
    expect((await getThrottle(database.db, "mfa:option", `${user.id}:code`)).failures).toBe(100);
    // The hard stop holds: the right code is refused however long the attacker waits.
    await database.db
      .update(authThrottles)
      .set({ lockedUntil: sql`now() - interval '1 second'` })
      .where(eq(authThrottles.key, user.id));
    const right = await verifySecondFactor(
      database.db,
      user,
      "code",
      await totpCode(secret, at(nowStep())),
      context,
    );
    expect(right.ok).toBe(false);
    // The owner is told at every lock, not only at the first ten (R-A15.1).
    const told = await database.db
      .select({ subject: outbox.subject })
      .from(outbox)
      .where(eq(outbox.recipient, user.email));
    expect(
      told.filter((m) => m.subject === "Verification paused after failed attempts"),
    ).toHaveLength(10);
  });

  it("counts a burst of parallel guesses one by one, so the pause stops it (R-A11.3)", async () => {
    const { user } = await enrolledUser("burst@example.edu");
    const guesses = Array.from({ length: 12 }, (_, i) => String(300000 + i));
    const results = await Promise.all(
      guesses.map((guess) => verifySecondFactor(database.db, user, "code", guess, context)),
    );
    expect(results.every((r) => !r.ok)).toBe(true);
    // Five guesses were checked; the pause the fifth started refused the other seven unchecked.
    const failures = await database.db
      .select({ outcome: auditLog.outcome })
      .from(auditLog)
      .where(and(eq(auditLog.action, "auth.mfa.failed"), eq(auditLog.subjectId, user.id)));
    expect(failures.filter((f) => f.outcome === "failure")).toHaveLength(5);
    expect(failures.filter((f) => f.outcome === "denied")).toHaveLength(7);
    expect((await getThrottle(database.db, "mfa:account", user.id)).failures).toBe(5);
  });
});

describe("recovery codes", () => {
  it("still work while wrong app codes have paused the other ways (R-A11.6)", async () => {
    const { user } = await enrolledUser("recover-paused@example.edu");
    const [code] = await regenerateRecoveryCodes(database.db, user.id);
    for (let i = 0; i < 5; i++)
      await verifySecondFactor(database.db, user, "code", String(400000 + i), context);
    expect((await getThrottle(database.db, "mfa:account", user.id)).locked).toBe(true);
    expect((await verifySecondFactor(database.db, user, "recovery-code", code!, context)).ok).toBe(
      true,
    );
  });

  it("work once each, case and hyphens ignored, and regeneration voids the old set (R-A8)", async () => {
    const { user } = await enrolledUser("recovery@example.edu");
    const first = await regenerateRecoveryCodes(database.db, user.id);
    expect(first).toHaveLength(10);
    expect(new Set(first).size).toBe(10);
    const code = first[0]!;
    expect(
      (await verifySecondFactor(database.db, user, "recovery-code", code.toLowerCase(), context))
        .ok,
    ).toBe(true);
    expect((await verifySecondFactor(database.db, user, "recovery-code", code, context)).ok).toBe(
      false,
    );
    expect((await getMethodSummary(database.db, user.id)).recoveryCodesLeft).toBe(9);
    const second = await regenerateRecoveryCodes(database.db, user.id);
    expect(
      (await verifySecondFactor(database.db, user, "recovery-code", first[1]!, context)).ok,
    ).toBe(false);
    expect(
      (
        await verifySecondFactor(
          database.db,
          user,
          "recovery-code",
          second[1]!.replaceAll("-", " "),
          context,
        )
      ).ok,
    ).toBe(true);
  });
});

describe("ownership (R-A9.4)", () => {
  it("treats another user's method id like a missing one and changes nothing", async () => {
    const { getOwnMethod, deleteOwnMethod, setDefaultMethod, listMethods } =
      await import("./methods");
    const owner = await enrolledUser("owner@example.edu");
    const intruder = await enrolledUser("intruder@example.edu");
    const [method] = await listMethods(database.db, owner.user.id);
    expect(await getOwnMethod(database.db, intruder.user.id, method!.id)).toBeNull();
    expect(await getOwnMethod(database.db, intruder.user.id, "not-a-uuid")).toBeNull();
    expect(await setDefaultMethod(database.db, intruder.user.id, method!.id)).toBe(false);
    expect(await deleteOwnMethod(database.db, intruder.user.id, method!.id)).toBe(false);
    expect(await listMethods(database.db, owner.user.id)).toHaveLength(1);
    const [intruderMethod] = await listMethods(database.db, intruder.user.id);
    expect(intruderMethod!.isDefault).toBe(true);
  });
});

describe("several devices", () => {
  it("allows five authenticator apps, each its own secret, and refuses a sixth", async () => {
    const { user } = await enrolledUser("five@example.edu");
    const secrets = new Set<string>();
    for (let device = 2; device <= 5; device++) {
      await beginAuthenticatorEnrolment(database.db, user.id, `Device ${device}`);
      const pending = await getPendingEnrolment(database.db, user.id, {
        issuer: "X",
        account: user.email,
      });
      secrets.add(pending!.secret);
      expect(
        await confirmAuthenticatorEnrolment(database.db, user.id, await totpCode(pending!.secret)),
      ).toMatchObject({ ok: true });
    }
    expect(secrets.size).toBe(4);
    expect(await beginAuthenticatorEnrolment(database.db, user.id, "Sixth")).toEqual({
      ok: false,
      reason: "limit_reached",
    });
    const summary = await getMethodSummary(database.db, user.id);
    expect(summary.methods).toHaveLength(5);
    expect(summary.methods.filter((m) => m.isDefault)).toHaveLength(1);
  });
});

describe("housekeeping", () => {
  it("removes enrolments never confirmed once they expire, and nothing else", async () => {
    const { purgeAbandonedEnrolments } = await import("./methods");
    const { user } = await enrolledUser("abandoned@example.edu");
    await beginAuthenticatorEnrolment(database.db, user.id, "Left behind");
    await database.db
      .update(mfaMethods)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(and(eq(mfaMethods.userId, user.id), eq(mfaMethods.status, "pending")));
    await purgeAbandonedEnrolments(database.db);
    const rows = await database.db.select().from(mfaMethods).where(eq(mfaMethods.userId, user.id));
    expect(rows.map((r) => r.status)).toEqual(["active"]);
  });
});
