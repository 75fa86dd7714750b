import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appConsents, apps, auditLog } from "@/lib/db/schema";
import { createTestDatabase } from "@/lib/testing/test-database";
import { createTestUser } from "@/lib/testing/users";
import { allowApp, forgetConsent, needsConsent } from "./consent";

const context = { ip: "192.0.2.42", userAgent: "vitest" };

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let personId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  ({ id: personId } = await createTestUser(database.db, {
    email: "consent@example.edu",
    displayName: "Consent Person",
    role: "user",
  }));
});
afterAll(() => database.dispose());

async function registerApp(clientId: string, askConsent: boolean) {
  const [app] = await database.db
    .insert(apps)
    .values({
      clientId,
      name: `App ${clientId}`,
      kind: "web",
      redirectUris: [`https://${clientId}.example.edu/callback`],
      askConsent,
    })
    .returning();
  return app!;
}

describe("consent to an app", () => {
  it("is never needed for an app that does not ask", async () => {
    const app = await registerApp("own-app", false);
    expect(await needsConsent(database.db, app, personId, ["openid", "email"])).toBe(false);
  });

  it("is asked until given, covers what was allowed, and is asked again for more", async () => {
    const app = await registerApp("survey", true);
    expect(await needsConsent(database.db, app, personId, ["openid", "email"])).toBe(true);

    await allowApp(database.db, app, personId, ["openid", "email"], context);
    expect(await needsConsent(database.db, app, personId, ["openid", "email"])).toBe(false);
    expect(await needsConsent(database.db, app, personId, ["openid"])).toBe(false);
    expect(await needsConsent(database.db, app, personId, ["openid", "profile"])).toBe(true);

    // Allowing more adds to what was allowed before.
    await allowApp(database.db, app, personId, ["openid", "profile"], context);
    expect(await needsConsent(database.db, app, personId, ["openid", "email", "profile"])).toBe(
      false,
    );
    const audit = await database.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, "apps.consent.given"));
    expect(audit).toHaveLength(2);
    expect(audit[1]).toMatchObject({
      actorId: personId,
      subjectId: personId,
      ip: context.ip,
      details: { clientId: "survey", app: "App survey", scopes: "openid email profile" },
    });
  });

  it("is forgotten for one app only", async () => {
    const first = await registerApp("first", true);
    const second = await registerApp("second", true);
    await allowApp(database.db, first, personId, ["openid"], context);
    await allowApp(database.db, second, personId, ["openid"], context);
    await forgetConsent(database.db, personId, first.id);
    expect(await needsConsent(database.db, first, personId, ["openid"])).toBe(true);
    expect(await needsConsent(database.db, second, personId, ["openid"])).toBe(false);
    const left = await database.db
      .select({ appId: appConsents.appId })
      .from(appConsents)
      .where(eq(appConsents.userId, personId));
    expect(left.map((row) => row.appId)).not.toContain(first.id);
  });
});
