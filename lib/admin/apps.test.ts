import { eq, like } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apps, auditLog } from "@/lib/db/schema";
import {
  clientMetadata,
  clientSecretMatches,
  findApp,
  hashClientSecret,
} from "@/lib/apps/registry";
import { createTestDatabase } from "@/lib/testing/test-database";
import { createTestUser } from "@/lib/testing/users";
import type { Agent } from "./agent-rules";
import {
  createApp,
  deleteApp,
  getApp,
  listApps,
  rotateAppSecret,
  setAppDisabled,
  updateApp,
  type AppInput,
} from "./apps";

const context = { ip: "192.0.2.77", userAgent: "vitest" };
const why = { reason: "New learning platform goes live", ticket: "CHG-7" };
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let admin: Agent;
let helpdesk: Agent;

beforeAll(async () => {
  database = await createTestDatabase();
  const agent = async (role: "admin" | "helpdesk"): Promise<Agent> => {
    const email = `apps-${role}@example.edu`;
    const { id } = await createTestUser(database.db, { email, displayName: `Apps ${role}`, role });
    return { id, email, displayName: `Apps ${role}`, role, sessionId: `session-of-${id}` };
  };
  admin = await agent("admin");
  helpdesk = await agent("helpdesk");
});
afterAll(async () => {
  await database.dispose();
});

let counter = 0;

/** A valid web app's settings, with `change` applied. */
function input(change: Partial<AppInput> = {}): AppInput {
  counter += 1;
  return {
    name: `Learning platform ${counter}`,
    kind: "web",
    redirectUris: ["https://learn.example.edu/oidc/callback"],
    postLogoutRedirectUris: [],
    backchannelLogoutUri: "",
    allowedRoles: null,
    proof: "mfa",
    askConsent: false,
    ...change,
  };
}

async function created(change: Partial<AppInput> = {}) {
  const result = await createApp(database.db, admin, input(change), why, context);
  if (!result.ok) throw new Error(`${result.reason}: ${JSON.stringify(result.fieldErrors)}`);
  return result;
}

async function storedRow(id: string) {
  const [row] = await database.db.select().from(apps).where(eq(apps.id, id));
  return row;
}

async function auditFor(appId: string) {
  const rows = await database.db
    .select()
    .from(auditLog)
    .where(like(auditLog.action, "admin.app.%"))
    .orderBy(auditLog.id);
  return rows.filter((row) => row.details?.appId === appId);
}

describe("adding an app", () => {
  it("gives a web app an unguessable client ID and a 256-bit secret kept only as its hash (R-A19.4)", async () => {
    const { app, secret } = await created({ name: "Library" });
    expect(app.clientId).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(secret!, "base64url")).toHaveLength(32);

    const row = await storedRow(app.id);
    expect(row!.secretHash).toBe(hashClientSecret(secret!));
    expect(JSON.stringify(row)).not.toContain(secret);
    expect(clientSecretMatches(secret!, row!.secretHash!)).toBe(true);
    expect(clientSecretMatches(`${secret}x`, row!.secretHash!)).toBe(false);

    const other = await created();
    expect(other.app.clientId).not.toBe(app.clientId);
    expect(other.secret).not.toBe(secret);
  });

  it("gives a single-page or mobile app no secret, and lets it use its own scheme", async () => {
    const { app, secret } = await created({
      kind: "public",
      redirectUris: ["com.example.app:/callback", "http://127.0.0.1:8080/cb"],
      postLogoutRedirectUris: ["com.example.app:/signed-out"],
    });
    expect(secret).toBeNull();
    expect((await storedRow(app.id))!.secretHash).toBeNull();
    expect(clientMetadata((await findApp(database.db, app.clientId))!)).toMatchObject({
      token_endpoint_auth_method: "none",
      redirect_uris: ["com.example.app:/callback", "http://127.0.0.1:8080/cb"],
    });
  });

  it("stores the settings as given: URIs trimmed, blank lines and repeats dropped, roles in order", async () => {
    const { app } = await created({
      name: "  Timetable  ",
      redirectUris: [
        "  https://a.example.edu/cb ",
        "",
        "https://a.example.edu/cb",
        "http://[::1]/cb",
      ],
      backchannelLogoutUri: " https://a.example.edu/logout ",
      allowedRoles: ["admin", "helpdesk"],
      proof: "phishing_resistant",
      askConsent: true,
    });
    expect(await getApp(database.db, app.id)).toMatchObject({
      name: "Timetable",
      kind: "web",
      redirectUris: ["https://a.example.edu/cb", "http://[::1]/cb"],
      postLogoutRedirectUris: [],
      backchannelLogoutUri: "https://a.example.edu/logout",
      allowedRoles: ["helpdesk", "admin"],
      proof: "phishing_resistant",
      askConsent: true,
      disabled: false,
    });
    expect((await listApps(database.db)).map((a) => a.name)).toContain("Timetable");
  });

  it("records who added it and why, and never the secret (R-A16.2, R-A16.3)", async () => {
    const { app, secret } = await created({ name: "Payroll" });
    const [entry, ...more] = await auditFor(app.id);
    expect(more).toHaveLength(0);
    expect(entry).toMatchObject({
      action: "admin.app.created",
      outcome: "success",
      actorId: admin.id,
      ip: context.ip,
      details: expect.objectContaining({
        app: "Payroll",
        clientId: app.clientId,
        kind: "web",
        redirectUris: "https://learn.example.edu/oidc/callback",
        allowedRoles: "everyone",
        reason: why.reason,
        ticket: why.ticket,
        actorRole: "admin",
      }),
    });
    expect(JSON.stringify(entry)).not.toContain(secret);
    expect(JSON.stringify(entry)).not.toContain(hashClientSecret(secret!));
  });

  it.each([
    [{ name: "" }, "name", "Enter a name."],
    [{ name: "x".repeat(101) }, "name", "Keep the name to 100 characters or fewer."],
    [{ kind: "native" }, "kind", "Choose the kind of app."],
    [{ redirectUris: [] }, "redirectUris", "Enter at least one redirect URI."],
    [
      { redirectUris: Array.from({ length: 11 }, (_, i) => `https://a.example.edu/${i}`) },
      "redirectUris",
      "Enter at most 10 redirect URIs.",
    ],
    [{ redirectUris: ["/callback"] }, "redirectUris", "/callback is not a full address"],
    [{ redirectUris: ["http://app.example.edu/cb"] }, "redirectUris", "must use https"],
    [{ redirectUris: ["http://localhost.evil.example/cb"] }, "redirectUris", "must use https"],
    [{ redirectUris: ["https://*.example.edu/cb"] }, "redirectUris", "wildcard"],
    [{ redirectUris: ["https://app.example.edu/cb#done"] }, "redirectUris", "fragment"],
    [{ redirectUris: ["https://user:pw@app.example.edu/cb"] }, "redirectUris", "user name"],
    // A web app is a server: it has no business with a custom scheme.
    [{ redirectUris: ["com.example.app:/callback"] }, "redirectUris", "must use https"],
    [
      { kind: "public", redirectUris: ["javascript:alert(1)//"] },
      "redirectUris",
      "the app's own scheme",
    ],
    [{ postLogoutRedirectUris: ["ftp://files.example.edu/"] }, "postLogoutRedirectUris", "https"],
    [{ backchannelLogoutUri: "http://app.example.edu/logout" }, "backchannelLogoutUri", "https"],
    [
      { kind: "public", backchannelLogoutUri: "com.example.app:/logout" },
      "backchannelLogoutUri",
      "https",
    ],
    [{ allowedRoles: [] }, "allowedRoles", "Choose who can use the app."],
    [{ allowedRoles: ["root"] }, "allowedRoles", "Choose who can use the app."],
    [{ proof: "password" }, "proof", "Choose the proof the app requires."],
    [{ askConsent: "maybe" }, "askConsent", "Choose whether people are asked to allow the app."],
  ] as const)(
    "refuses %j with an error on %s, and adds nothing (R-A19.1)",
    async (change, field, message) => {
      const before = await database.db.select({ id: apps.id }).from(apps);
      const auditBefore = await database.db.select({ id: auditLog.id }).from(auditLog);
      const result = await createApp(
        database.db,
        admin,
        input(change as Partial<AppInput>),
        why,
        context,
      );
      expect(result).toMatchObject({ ok: false, reason: "invalid" });
      if (result.ok) return;
      expect(Object.keys(result.fieldErrors ?? {})).toEqual([field]);
      expect(result.fieldErrors![field]!.join(" ")).toContain(message);
      expect(await database.db.select({ id: apps.id }).from(apps)).toHaveLength(before.length);
      expect(await database.db.select({ id: auditLog.id }).from(auditLog)).toHaveLength(
        auditBefore.length,
      );
    },
  );

  it("names every problem at once", async () => {
    const result = await createApp(
      database.db,
      admin,
      input({ name: "", kind: "", redirectUris: ["http://a.example.edu"], proof: "" }),
      why,
      context,
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(Object.keys(result.fieldErrors!).sort()).toEqual([
      "kind",
      "name",
      "proof",
      "redirectUris",
    ]);
  });

  it("is for administrators only", async () => {
    const result = await createApp(database.db, helpdesk, input(), why, context);
    expect(result).toMatchObject({ ok: false, reason: "not_allowed" });
  });
});

describe("changing an app", () => {
  it("saves the new settings and records each change with its reason", async () => {
    const { app } = await created({ name: "Wiki" });
    const result = await updateApp(
      database.db,
      admin,
      app.id,
      input({
        name: "Staff wiki",
        redirectUris: ["https://wiki.example.edu/cb"],
        allowedRoles: ["helpdesk", "admin"],
      }),
      { reason: "Moved to its own host", ticket: undefined },
      context,
    );
    expect(result).toEqual({ ok: true, changed: ["name", "redirectUris", "allowedRoles"] });
    expect(await getApp(database.db, app.id)).toMatchObject({
      name: "Staff wiki",
      kind: "web",
      redirectUris: ["https://wiki.example.edu/cb"],
      allowedRoles: ["helpdesk", "admin"],
    });
    const updated = (await auditFor(app.id)).find((e) => e.action === "admin.app.updated");
    expect(updated?.details).toMatchObject({
      app: "Staff wiki",
      changed: "name redirectUris allowedRoles",
      nameBefore: "Wiki",
      name: "Staff wiki",
      redirectUrisBefore: "https://learn.example.edu/oidc/callback",
      redirectUris: "https://wiki.example.edu/cb",
      allowedRolesBefore: "everyone",
      allowedRoles: "helpdesk admin",
      reason: "Moved to its own host",
      ticket: null,
    });
  });

  it("turns consent on, on the record", async () => {
    const { app } = await created({ name: "Library" });
    const result = await updateApp(
      database.db,
      admin,
      app.id,
      input({ name: "Library", askConsent: true }),
      why,
      context,
    );
    expect(result).toEqual({ ok: true, changed: ["askConsent"] });
    expect(await getApp(database.db, app.id)).toMatchObject({ askConsent: true });
    const updated = (await auditFor(app.id)).find((e) => e.action === "admin.app.updated");
    expect(updated?.details).toMatchObject({ askConsentBefore: false, askConsent: true });
  });

  it("writes nothing when nothing changed", async () => {
    const settings = input();
    const { app } = await created(settings);
    const result = await updateApp(database.db, admin, app.id, settings, why, context);
    expect(result).toEqual({ ok: true, changed: [] });
    expect((await auditFor(app.id)).map((e) => e.action)).toEqual(["admin.app.created"]);
  });

  it("refuses bad settings and keeps the old ones, unaudited", async () => {
    const { app } = await created({ name: "Mail" });
    const result = await updateApp(
      database.db,
      admin,
      app.id,
      input({ name: "Mail", redirectUris: ["https://*.example.edu/cb"] }),
      why,
      context,
    );
    expect(result).toMatchObject({ ok: false, reason: "invalid" });
    expect((await getApp(database.db, app.id))!.redirectUris).toEqual([
      "https://learn.example.edu/oidc/callback",
    ]);
    expect((await auditFor(app.id)).map((e) => e.action)).toEqual(["admin.app.created"]);
  });

  it("checks URIs against the app's stored kind, whatever the input says", async () => {
    const { app } = await created();
    const result = await updateApp(
      database.db,
      admin,
      app.id,
      input({ kind: "public", redirectUris: ["com.example.app:/callback"] }),
      why,
      context,
    );
    expect(result).toMatchObject({ ok: false, reason: "invalid" });
    expect((await getApp(database.db, app.id))!.kind).toBe("web");
  });

  it("says an unknown or malformed id does not exist", async () => {
    for (const id of ["8d7f5c1e-2b1a-4c3d-9e8f-0a1b2c3d4e5f", "not-an-id"]) {
      expect(await updateApp(database.db, admin, id, input(), why, context)).toMatchObject({
        ok: false,
        reason: "missing",
      });
      expect(await getApp(database.db, id)).toBeNull();
    }
  });
});

describe("rotating a secret", () => {
  it("makes a new secret that works and stops the old one at once (R-A19.4)", async () => {
    const { app, secret: old } = await created();
    const rotated = await rotateAppSecret(database.db, admin, app.id, why, context);
    expect(rotated.ok).toBe(true);
    if (!rotated.ok) return;
    expect(rotated.secret).not.toBe(old);
    const row = await storedRow(app.id);
    expect(clientSecretMatches(rotated.secret, row!.secretHash!)).toBe(true);
    expect(clientSecretMatches(old!, row!.secretHash!)).toBe(false);
    expect(clientMetadata(row!)).toMatchObject({ client_secret: hashClientSecret(rotated.secret) });

    const entry = (await auditFor(app.id)).find((e) => e.action === "admin.app.secret_rotated");
    expect(entry?.details).toMatchObject({ reason: why.reason, clientId: app.clientId });
    expect(JSON.stringify(entry)).not.toContain(rotated.secret);
  });

  it("is refused for an app without a secret", async () => {
    const { app } = await created({ kind: "public" });
    expect(await rotateAppSecret(database.db, admin, app.id, why, context)).toMatchObject({
      ok: false,
      reason: "not_allowed",
    });
    expect((await storedRow(app.id))!.secretHash).toBeNull();
  });
});

describe("disabling, enabling and deleting", () => {
  it("a disabled app is unknown to the provider until enabled again", async () => {
    const { app } = await created();
    expect(await setAppDisabled(database.db, admin, app.id, true, why, context)).toEqual({
      ok: true,
    });
    expect((await getApp(database.db, app.id))!.disabled).toBe(true);
    expect(clientMetadata((await findApp(database.db, app.clientId))!)).toBeUndefined();
    expect(await setAppDisabled(database.db, admin, app.id, true, why, context)).toMatchObject({
      ok: false,
      reason: "unchanged",
    });

    expect(
      await setAppDisabled(
        database.db,
        admin,
        app.id,
        false,
        { reason: "Back on", ticket: undefined },
        context,
      ),
    ).toEqual({ ok: true });
    expect(clientMetadata((await findApp(database.db, app.clientId))!)).toMatchObject({
      client_id: app.clientId,
    });
    const entries = await auditFor(app.id);
    expect(entries.map((e) => [e.action, e.details?.reason])).toEqual([
      ["admin.app.created", why.reason],
      ["admin.app.disabled", why.reason],
      ["admin.app.enabled", "Back on"],
    ]);
  });

  it("a deleted app is gone, and its record names it", async () => {
    const { app } = await created({ name: "Old portal" });
    expect(await deleteApp(database.db, admin, app.id, why, context)).toEqual({
      ok: true,
      name: "Old portal",
    });
    expect(await getApp(database.db, app.id)).toBeNull();
    expect(await findApp(database.db, app.clientId)).toBeNull();
    const entry = (await auditFor(app.id)).find((e) => e.action === "admin.app.deleted");
    expect(entry?.details).toMatchObject({ app: "Old portal", clientId: app.clientId });
    expect(await deleteApp(database.db, admin, app.id, why, context)).toMatchObject({
      ok: false,
      reason: "missing",
    });
  });

  it("none of them is open to a helpdesk agent", async () => {
    const { app } = await created();
    for (const result of [
      await setAppDisabled(database.db, helpdesk, app.id, true, why, context),
      await rotateAppSecret(database.db, helpdesk, app.id, why, context),
      await updateApp(database.db, helpdesk, app.id, input(), why, context),
      await deleteApp(database.db, helpdesk, app.id, why, context),
    ]) {
      expect(result).toMatchObject({ ok: false, reason: "not_allowed" });
    }
    expect(await getApp(database.db, app.id)).toMatchObject({ disabled: false });
    expect((await auditFor(app.id)).map((e) => e.action)).toEqual(["admin.app.created"]);
  });
});
