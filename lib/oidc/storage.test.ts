import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endAppSessions } from "@/lib/apps/app-sessions";
import { oidcRecords, oidcSigningKeys } from "@/lib/db/schema";
import { createTestDatabase } from "@/lib/testing/test-database";
import { createTestUser } from "@/lib/testing/users";
import { drizzleAdapter, purgeExpiredOidcRecords } from "./adapter";
import {
  loadSigningKeys,
  purgeRetiredSigningKeys,
  RETIRED_KEY_PUBLISHED_SECONDS,
  rotateSigningKey,
} from "./signing-keys";

// The provider's storage on Factor's database (PGlite here; PostgreSQL in CI's second lane).

let database: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});

describe("the provider's records", () => {
  it("stores, finds, consumes and destroys a record of one model only", async () => {
    const Adapter = drizzleAdapter(database.db);
    const codes = new Adapter("AuthorizationCode");
    await codes.upsert("code-1", { grantId: "grant-1", accountId: "a", clientId: "c" }, 60);
    expect(await codes.find("code-1")).toMatchObject({ grantId: "grant-1" });
    expect(await new Adapter("AccessToken").find("code-1")).toBeUndefined();

    await codes.consume("code-1");
    expect((await codes.find("code-1"))?.consumed).toEqual(expect.any(Number));

    await codes.destroy("code-1");
    expect(await codes.find("code-1")).toBeUndefined();
  });

  it("finds by uid, and revoking a grant removes every record it issued (R-A19.2)", async () => {
    const Adapter = drizzleAdapter(database.db);
    await new Adapter("Session").upsert("s-1", { uid: "uid-1", accountId: "a" }, 60);
    expect(await new Adapter("Session").findByUid("uid-1")).toMatchObject({ accountId: "a" });

    await new Adapter("AccessToken").upsert("at-1", { grantId: "grant-2" }, 60);
    await new Adapter("RefreshToken").upsert("rt-1", { grantId: "grant-2" }, 60);
    await new Adapter("RefreshToken").upsert("rt-2", { grantId: "grant-3" }, 60);
    await new Adapter("RefreshToken").revokeByGrantId("grant-2");
    expect(await new Adapter("AccessToken").find("at-1")).toBeUndefined();
    expect(await new Adapter("RefreshToken").find("rt-1")).toBeUndefined();
    expect(await new Adapter("RefreshToken").find("rt-2")).toBeDefined();
  });

  it("does not return an expired record, and the clean-up deletes it", async () => {
    const Adapter = drizzleAdapter(database.db);
    await new Adapter("AccessToken").upsert("old", { grantId: "g-old" }, 60);
    await database.db
      .update(oidcRecords)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(oidcRecords.id, "old"));
    expect(await new Adapter("AccessToken").find("old")).toBeUndefined();
    expect(await purgeExpiredOidcRecords(database.db)).toBeGreaterThanOrEqual(1);
    const left = await database.db.select().from(oidcRecords).where(eq(oidcRecords.id, "old"));
    expect(left).toHaveLength(0);
  });

  it("signing a person out of their apps removes only their sessions and tokens (R-A19.5)", async () => {
    const { id: userId } = await createTestUser(database.db, {
      email: "apps-out@example.edu",
      displayName: "Apps Out",
      role: "user",
    });
    const { id: otherId } = await createTestUser(database.db, {
      email: "apps-stay@example.edu",
      displayName: "Apps Stay",
      role: "user",
    });
    const Adapter = drizzleAdapter(database.db);
    await new Adapter("Session").upsert(
      "s-out",
      { accountId: userId, authorizations: { mail: { sid: "sid-1", grantId: "g-out" } } } as never,
      60,
    );
    await new Adapter("RefreshToken").upsert("rt-out", { accountId: userId, clientId: "mail" }, 60);
    await new Adapter("RefreshToken").upsert(
      "rt-stay",
      { accountId: otherId, clientId: "mail" },
      60,
    );

    expect(await endAppSessions(database.db, userId)).toBe(1);
    expect(await new Adapter("Session").find("s-out")).toBeUndefined();
    expect(await new Adapter("RefreshToken").find("rt-out")).toBeUndefined();
    expect(await new Adapter("RefreshToken").find("rt-stay")).toBeDefined();
  });
});

describe("signing keys", () => {
  it("are made once, sealed, and a rotation keeps the old key published (R-A19.4)", async () => {
    const first = await loadSigningKeys(database.db);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ kty: "RSA", alg: "RS256", use: "sig" });
    expect((await loadSigningKeys(database.db)).map((key) => key.kid)).toEqual([first[0]!.kid]);
    const [stored] = await database.db.select().from(oidcSigningKeys);
    expect(stored!.sealedKey).not.toContain(String(first[0]!.d));

    const newKid = await rotateSigningKey(database.db);
    const published = await loadSigningKeys(database.db);
    expect(published.map((key) => key.kid)).toEqual([newKid, first[0]!.kid]);

    // Once nothing it signed can still be valid, the retired key goes.
    expect(await purgeRetiredSigningKeys(database.db)).toBe(0);
    await database.db
      .update(oidcSigningKeys)
      .set({ retiredAt: new Date(Date.now() - (RETIRED_KEY_PUBLISHED_SECONDS + 60) * 1000) })
      .where(eq(oidcSigningKeys.kid, first[0]!.kid!));
    expect(await purgeRetiredSigningKeys(database.db)).toBe(1);
    expect((await loadSigningKeys(database.db)).map((key) => key.kid)).toEqual([newKid]);
  });
});
