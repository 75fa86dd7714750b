import { and, eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { apps, auditLog, oidcRecords, signInEvents } from "@/lib/db/schema";
import { drizzleAdapter } from "@/lib/oidc/adapter";
import { createTestDatabase } from "@/lib/testing/test-database";
import { createTestUser } from "@/lib/testing/users";
import { listSignedInApps, removeAppAccess } from "./app-access";
import { hasEnabledApps } from "./registry";
import { setRunningProvider } from "./running-provider";

const context = { ip: "192.0.2.41", userAgent: "vitest" };
const HOUR_MS = 3_600_000;
const ago = (ms: number) => new Date(Date.now() - ms);

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let personId: string;
let otherId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  ({ id: personId } = await createTestUser(database.db, {
    email: "my-apps@example.edu",
    displayName: "My Apps",
    role: "user",
  }));
  ({ id: otherId } = await createTestUser(database.db, {
    email: "my-apps-other@example.edu",
    displayName: "Someone Else",
    role: "user",
  }));
});
afterEach(() => {
  setRunningProvider(undefined);
});
afterAll(async () => {
  await database.dispose();
});

async function registerApp(clientId: string, name: string, disabled = false) {
  await database.db.insert(apps).values({
    clientId,
    name,
    kind: "web",
    redirectUris: [`https://${clientId}.example.edu/callback`],
    disabledAt: disabled ? new Date() : null,
  });
}

async function signInTo(
  userId: string,
  clientId: string | null,
  at: Date,
  result: "success" | "failure" = "success",
) {
  await database.db.insert(signInEvents).values({
    userId,
    at,
    clientId,
    app: clientId ? `${clientId} as it was called then` : "Security portal",
    result,
    reason: result === "success" ? "single_sign_on" : "wrong_password",
  });
}

/** The provider's records of a person at an app, as oidc-provider stores them. */
async function appRecords(userId: string, clientId: string) {
  const Adapter = drizzleAdapter(database.db);
  const grantId = `grant-${userId}-${clientId}`;
  await new Adapter("Grant").upsert(grantId, { accountId: userId, clientId } as never, 600);
  for (const kind of ["AccessToken", "RefreshToken"]) {
    await new Adapter(kind).upsert(
      `${kind}-${userId}-${clientId}`,
      { accountId: userId, clientId, grantId },
      600,
    );
  }
}

async function recordsOf(userId: string) {
  const rows = await database.db
    .select({ kind: oidcRecords.kind, payload: oidcRecords.payload })
    .from(oidcRecords)
    .where(eq(oidcRecords.accountId, userId));
  return rows.map((row) => `${row.kind} ${String(row.payload.clientId ?? "")}`.trim()).sort();
}

async function auditOf(userId: string) {
  return database.db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.action, "apps.access.removed"), eq(auditLog.subjectId, userId)));
}

describe("the My apps link", () => {
  it("shows once an enabled app is registered, not for a disabled one alone", async () => {
    expect(await hasEnabledApps(database.db)).toBe(false);
    await registerApp("archive", "Old archive", true);
    expect(await hasEnabledApps(database.db)).toBe(false);
    await registerApp("mail", "Mail");
    expect(await hasEnabledApps(database.db)).toBe(true);
  });
});

describe("My apps", () => {
  beforeAll(async () => {
    await registerApp("library", "Library");
    await registerApp("staff", "Staff portal");
    await signInTo(personId, "mail", ago(48 * HOUR_MS));
    await signInTo(personId, "mail", ago(1 * HOUR_MS));
    await signInTo(personId, "library", ago(24 * HOUR_MS));
    await signInTo(personId, "library", ago(0.1 * HOUR_MS), "failure");
    await signInTo(personId, "archive", ago(72 * HOUR_MS));
    await signInTo(personId, "deleted-app", ago(2 * HOUR_MS));
    await signInTo(personId, null, ago(0.2 * HOUR_MS));
    await signInTo(otherId, "staff", ago(3 * HOUR_MS));
  });

  it("lists each app the person signed in to once, by its current name, latest first", async () => {
    const listed = await listSignedInApps(database.db, personId);
    expect(listed.map(({ clientId, name }) => ({ clientId, name }))).toEqual([
      { clientId: "mail", name: "Mail" },
      { clientId: "library", name: "Library" },
      // A disabled app stays: the person did sign in to it. A deleted one is gone.
      { clientId: "archive", name: "Old archive" },
    ]);
    // The latest successful sign-in; the failed one after it does not count.
    expect(listed[0]!.lastSignInAt.getTime()).toBeGreaterThan(ago(1.1 * HOUR_MS).getTime());
    expect(listed[1]!.lastSignInAt.getTime()).toBeLessThan(ago(23 * HOUR_MS).getTime());
    expect(await listSignedInApps(database.db, otherId)).toMatchObject([{ name: "Staff portal" }]);
  });

  it("refuses an app the person never signed in to, and changes nothing (R-A9.4)", async () => {
    await appRecords(otherId, "staff");
    await appRecords(personId, "mail");
    const before = { person: await recordsOf(personId), other: await recordsOf(otherId) };

    for (const clientId of ["staff", "deleted-app", "unknown", ""]) {
      expect(await removeAppAccess(database.db, personId, clientId, context)).toEqual({
        ok: false,
        reason: "not_found",
      });
    }
    expect(await recordsOf(personId)).toEqual(before.person);
    expect(await recordsOf(otherId)).toEqual(before.other);
    expect(await auditOf(personId)).toHaveLength(0);
  });

  it("removes that app's grant and tokens only, tells it, and records it (R-A19.2, R-A19.5)", async () => {
    await appRecords(personId, "mail");
    await appRecords(personId, "library");
    await appRecords(otherId, "mail");
    // The provider session that signed the person in to both apps.
    await new (drizzleAdapter(database.db))("Session").upsert(
      `session-${personId}`,
      {
        accountId: personId,
        authorizations: {
          mail: { sid: "sid-mail", grantId: `grant-${personId}-mail` },
          library: { sid: "sid-library", grantId: `grant-${personId}-library` },
        },
      } as never,
      600,
    );
    const loggedOut: string[] = [];
    setRunningProvider({
      Client: {
        find: async (clientId: string) => ({
          backchannelLogoutUri: `https://${clientId}.example.edu/logout`,
          backchannelLogout: async (sub: string, sid: string) => {
            loggedOut.push(`${clientId} ${sub === personId ? "person" : sub} ${sid}`);
          },
        }),
      },
    } as never);

    const removed = await removeAppAccess(database.db, personId, "mail", context);
    expect(removed).toMatchObject({ ok: true, app: { name: "Mail" }, sessionsEnded: 1 });

    expect(await recordsOf(personId)).toEqual([
      "AccessToken library",
      "Grant library",
      "RefreshToken library",
      "Session",
    ]);
    expect(await recordsOf(otherId)).toContain("RefreshToken mail");
    await vi.waitFor(() => expect(loggedOut).toEqual(["mail person sid-mail"]));

    const [entry, ...more] = await auditOf(personId);
    expect(more).toHaveLength(0);
    expect(entry).toMatchObject({
      outcome: "success",
      actorId: personId,
      ip: context.ip,
      details: { clientId: "mail", app: "Mail", sessionsEnded: 1 },
    });

    // The app stays in the list with its last sign-in: its access can be removed again.
    expect((await listSignedInApps(database.db, personId)).map((app) => app.name)).toContain(
      "Mail",
    );
  });
});
