import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessions, users } from "@/lib/db/schema";
import { hashToken } from "@/lib/security/tokens";
import { createTestDatabase } from "@/lib/testing/test-database";
import { createSession, resolveSession, revokeSession, revokeUserSessions } from "./sessions";
import { createTestUser } from "@/lib/testing/users";

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let userId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  ({ id: userId } = await createTestUser(database.db, {
    email: "session.owner@example.edu",
    displayName: "Session Owner",
    role: "user",
  }));
});
afterAll(async () => {
  await database.dispose();
});

const start = (persistent = false) =>
  createSession(database.db, {
    userId,
    aal: 1,
    methods: ["pwd"],
    authenticatedAt: new Date(),
    secondFactorAt: null,
    persistent,
    ip: "203.0.113.9",
    userAgent: "vitest",
  });

describe("server-side sessions (R-A12)", () => {
  it("issues a 256-bit opaque token and stores only its hash, with default limits", async () => {
    const token = await start();
    expect(Buffer.from(token, "base64url")).toHaveLength(32);
    const [row] = await database.db
      .select()
      .from(sessions)
      .where(eq(sessions.id, hashToken(token)));
    expect(row).toBeDefined();
    expect(await database.db.select().from(sessions).where(eq(sessions.id, token))).toHaveLength(0);
    const idleMinutes = (row!.idleExpiresAt.getTime() - row!.createdAt.getTime()) / 60_000;
    const absoluteHours = (row!.absoluteExpiresAt.getTime() - row!.createdAt.getTime()) / 3_600_000;
    expect(Math.round(idleMinutes)).toBe(30);
    expect(Math.round(absoluteHours)).toBe(12);
  });

  it("resolves a live token and nothing else", async () => {
    const token = await start();
    expect((await resolveSession(database.db, token))?.user.email).toBe(
      "session.owner@example.edu",
    );
    expect(await resolveSession(database.db, token + "x")).toBeNull();
    expect(await resolveSession(database.db, hashToken(token))).toBeNull();
  });

  it("ends a session past its idle expiry", async () => {
    const token = await start();
    await database.db
      .update(sessions)
      .set({ idleExpiresAt: sql`now() - interval '1 second'` })
      .where(eq(sessions.id, hashToken(token)));
    expect(await resolveSession(database.db, token)).toBeNull();
  });

  it("ends a session past its absolute expiry even when active", async () => {
    const token = await start(true);
    await database.db
      .update(sessions)
      .set({ absoluteExpiresAt: sql`now() - interval '1 second'` })
      .where(eq(sessions.id, hashToken(token)));
    expect(await resolveSession(database.db, token)).toBeNull();
  });

  it("slides the idle expiry on use, never past the absolute one", async () => {
    const token = await start();
    const id = hashToken(token);
    await database.db
      .update(sessions)
      .set({
        lastSeenAt: sql`now() - interval '10 minutes'`,
        idleExpiresAt: sql`now() + interval '20 minutes'`,
        absoluteExpiresAt: sql`now() + interval '25 minutes'`,
      })
      .where(eq(sessions.id, id));
    expect(await resolveSession(database.db, token)).not.toBeNull();
    const [row] = await database.db.select().from(sessions).where(eq(sessions.id, id));
    expect(row!.idleExpiresAt.getTime()).toBe(row!.absoluteExpiresAt.getTime());
    expect(Date.now() - row!.lastSeenAt.getTime()).toBeLessThan(60_000);
  });

  it("reads the session for a page's own request without extending it (R-A12.5)", async () => {
    const token = await start();
    const id = hashToken(token);
    await database.db
      .update(sessions)
      .set({
        lastSeenAt: sql`now() - interval '10 minutes'`,
        idleExpiresAt: sql`now() + interval '20 minutes'`,
      })
      .where(eq(sessions.id, id));
    const select = () =>
      database.db
        .select({ lastSeenAt: sessions.lastSeenAt, idleExpiresAt: sessions.idleExpiresAt })
        .from(sessions)
        .where(eq(sessions.id, id));
    const [before] = await select();
    expect(await resolveSession(database.db, token, { activity: false })).not.toBeNull();
    expect(await select()).toEqual([before]);
  });

  it("refuses a page's own request once the idle limit has passed (R-A12.5)", async () => {
    const token = await start();
    await database.db
      .update(sessions)
      .set({ idleExpiresAt: sql`now() - interval '1 second'` })
      .where(eq(sessions.id, hashToken(token)));
    expect(await resolveSession(database.db, token, { activity: false })).toBeNull();
  });

  it("stops a revoked session at once and records why", async () => {
    const token = await start();
    expect(await revokeSession(database.db, hashToken(token), "test")).not.toBeNull();
    expect(await resolveSession(database.db, token)).toBeNull();
    const [row] = await database.db
      .select()
      .from(sessions)
      .where(eq(sessions.id, hashToken(token)));
    expect(row!.revokedReason).toBe("test");
    expect(await revokeSession(database.db, hashToken(token), "again")).toBeNull();
  });

  it("revokes every session of a user but the one kept", async () => {
    const kept = await start();
    const others = [await start(), await start()];
    await revokeUserSessions(database.db, userId, "sign_out_everywhere", hashToken(kept));
    expect(await resolveSession(database.db, kept)).not.toBeNull();
    for (const token of others) expect(await resolveSession(database.db, token)).toBeNull();
  });

  it("stops the sessions of a disabled account", async () => {
    const token = await start();
    await database.db.update(users).set({ status: "disabled" }).where(eq(users.id, userId));
    expect(await resolveSession(database.db, token)).toBeNull();
    await database.db.update(users).set({ status: "active" }).where(eq(users.id, userId));
  });
});

it("counts a person's live sessions for the Overview", async () => {
  const { getAccountOverview } = await import("./users");
  await revokeUserSessions(database.db, userId, "reset");
  await start();
  await start();
  expect(await getAccountOverview(database.db, userId)).toMatchObject({
    activeSessions: 2,
    mfaRequired: true,
  });
});

it("gives 'Stay signed in' sessions the persistent limits: idle 7 days, absolute 90 days", async () => {
  const token = await start(true);
  const [row] = await database.db
    .select()
    .from(sessions)
    .where(eq(sessions.id, hashToken(token)));
  const days = (end: Date) => Math.round((end.getTime() - row!.createdAt.getTime()) / 86_400_000);
  expect(days(row!.idleExpiresAt)).toBe(7);
  expect(days(row!.absoluteExpiresAt)).toBe(90);
});
