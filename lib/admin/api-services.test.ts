import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiServices, auditLog } from "@/lib/db/schema";
import { findServiceByKey, hashApiKey } from "@/lib/services/api-services";
import { createTestDatabase } from "@/lib/testing/test-database";
import { createTestUser } from "@/lib/testing/users";
import type { Agent } from "./agent-rules";
import {
  createApiService,
  deleteApiService,
  getApiService,
  listApiServices,
  rotateApiKey,
  setApiServiceAudience,
  setApiServiceDisabled,
  setApiServicePasswordRequired,
  type ApiServiceInput,
} from "./api-services";

const context = { ip: "192.0.2.79", userAgent: "vitest" };
const why = { reason: "Deploy checks ask for MFA", ticket: "CHG-16" };
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let admin: Agent;
let helpdesk: Agent;

beforeAll(async () => {
  database = await createTestDatabase();
  const agent = async (role: "admin" | "helpdesk"): Promise<Agent> => {
    const email = `services-${role}@example.edu`;
    const { id } = await createTestUser(database.db, { email, displayName: `Svc ${role}`, role });
    return { id, email, displayName: `Svc ${role}`, role, sessionId: `session-of-${id}` };
  };
  admin = await agent("admin");
  helpdesk = await agent("helpdesk");
});
afterAll(async () => {
  await database.dispose();
});

let counter = 0;

function input(change: Partial<ApiServiceInput> = {}): ApiServiceInput {
  counter += 1;
  return { name: `Service ${counter}`, allowedRoles: null, passwordRequired: true, ...change };
}

async function created(change: Partial<ApiServiceInput> = {}) {
  const result = await createApiService(database.db, admin, input(change), why, context);
  if (!result.ok) throw new Error(result.message);
  return result;
}

async function auditOf(action: string, serviceId: string) {
  const rows = await database.db
    .select({ actorId: auditLog.actorId, details: auditLog.details })
    .from(auditLog)
    .where(eq(auditLog.action, action));
  return rows.filter((row) => row.details?.apiServiceId === serviceId);
}

describe("adding a service", () => {
  it("generates a key, keeps only its hash, and audits the reason (R-A20.5, R-A16.2)", async () => {
    const { service, key } = await created({ name: " Deploy check " });
    expect(key).toMatch(/^fsk_[A-Za-z0-9_-]{43}$/);
    expect(service).toMatchObject({
      name: "Deploy check",
      keyPrefix: key.slice(0, 12),
      passwordRequired: true,
      allowedRoles: null,
      disabled: false,
      lastUsedAt: null,
    });
    const [row] = await database.db
      .select({ keyHash: apiServices.keyHash })
      .from(apiServices)
      .where(eq(apiServices.id, service.id));
    expect(row!.keyHash).toBe(hashApiKey(key));
    expect(row!.keyHash).not.toContain(key.slice(4));
    expect(await findServiceByKey(database.db, key)).toMatchObject({ id: service.id });
    const [audit] = await auditOf("admin.api_service.created", service.id);
    expect(audit).toMatchObject({ actorId: admin.id });
    expect(audit!.details).toMatchObject({
      reason: why.reason,
      ticket: "CHG-16",
      keyPrefix: service.keyPrefix,
      allowedRoles: "everyone",
      passwordRequired: true,
    });
    expect(JSON.stringify(audit!.details)).not.toContain(key);
  });

  it("refuses a missing name or audience, and is for administrators only", async () => {
    const result = await createApiService(
      database.db,
      admin,
      input({ name: "  ", allowedRoles: [], passwordRequired: "yes" }),
      why,
      context,
    );
    expect(result).toMatchObject({ ok: false, reason: "invalid" });
    if (!result.ok) {
      expect(Object.keys(result.fieldErrors ?? {}).sort()).toEqual([
        "allowedRoles",
        "name",
        "passwordRequired",
      ]);
    }
    expect(await createApiService(database.db, helpdesk, input(), why, context)).toMatchObject({
      ok: false,
      reason: "not_allowed",
    });
  });
});

describe("changing a service", () => {
  it("rotates the key: the new one is returned once and the old one stops working", async () => {
    const { service, key } = await created();
    const rotated = await rotateApiKey(database.db, admin, service.id, why, context);
    if (!rotated.ok) throw new Error(rotated.message);
    expect(rotated.key).not.toBe(key);
    expect(await findServiceByKey(database.db, key)).toBeNull();
    expect(await findServiceByKey(database.db, rotated.key)).toMatchObject({ id: service.id });
    expect((await getApiService(database.db, service.id))?.keyPrefix).toBe(rotated.keyPrefix);
    const [audit] = await auditOf("admin.api_service.key_rotated", service.id);
    expect(audit!.details).toMatchObject({
      keyPrefix: service.keyPrefix,
      newKeyPrefix: rotated.keyPrefix,
    });
    expect(await rotateApiKey(database.db, helpdesk, service.id, why, context)).toMatchObject({
      reason: "not_allowed",
    });
  });

  it("changes who may use it, audited from and to", async () => {
    const { service } = await created();
    const change = (roles: unknown) =>
      setApiServiceAudience(database.db, admin, service.id, roles, why, context);
    expect(await change(["admin", "helpdesk"])).toMatchObject({ ok: true });
    expect((await getApiService(database.db, service.id))?.allowedRoles).toEqual([
      "helpdesk",
      "admin",
    ]);
    expect(await change(["helpdesk", "admin"])).toMatchObject({ reason: "unchanged" });
    expect(await change(["root"])).toMatchObject({ reason: "invalid" });
    expect(await change(null)).toMatchObject({ ok: true });
    const audits = await auditOf("admin.api_service.audience_changed", service.id);
    expect(audits.map((a) => [a.details?.from, a.details?.to])).toEqual(
      expect.arrayContaining([
        ["everyone", "helpdesk admin"],
        ["helpdesk admin", "everyone"],
      ]),
    );
  });

  it("stops and starts requiring the password, audited each time", async () => {
    const { service, key } = await created();
    const set = (required: boolean) =>
      setApiServicePasswordRequired(database.db, admin, service.id, required, why, context);
    expect(await set(false)).toMatchObject({ ok: true });
    expect((await findServiceByKey(database.db, key))?.passwordRequired).toBe(false);
    expect(await set(false)).toMatchObject({ ok: false, reason: "unchanged" });
    expect(await set(true)).toMatchObject({ ok: true });
    const audits = await auditOf("admin.api_service.password_requirement_changed", service.id);
    expect(audits.map((a) => a.details?.passwordRequired)).toEqual(
      expect.arrayContaining([false, true]),
    );
  });

  it("disables a service, whose key then reads as disabled, and enables it again", async () => {
    const { service, key } = await created();
    const set = (disabled: boolean) =>
      setApiServiceDisabled(database.db, admin, service.id, disabled, why, context);
    expect(await set(true)).toMatchObject({ ok: true });
    expect((await findServiceByKey(database.db, key))?.disabled).toBe(true);
    expect(await set(true)).toMatchObject({ reason: "unchanged" });
    expect(await set(false)).toMatchObject({ ok: true });
    expect((await findServiceByKey(database.db, key))?.disabled).toBe(false);
    expect(await auditOf("admin.api_service.disabled", service.id)).toHaveLength(1);
    expect(await auditOf("admin.api_service.enabled", service.id)).toHaveLength(1);
  });

  it("deletes a service for good, audited with its name", async () => {
    const { service, key } = await created();
    expect(await deleteApiService(database.db, helpdesk, service.id, why, context)).toMatchObject({
      reason: "not_allowed",
    });
    expect(await deleteApiService(database.db, admin, service.id, why, context)).toMatchObject({
      ok: true,
      name: service.name,
    });
    expect(await getApiService(database.db, service.id)).toBeNull();
    expect((await listApiServices(database.db)).some((s) => s.id === service.id)).toBe(false);
    expect(await findServiceByKey(database.db, key)).toBeNull();
    expect(await deleteApiService(database.db, admin, service.id, why, context)).toMatchObject({
      reason: "missing",
    });
    const [audit] = await auditOf("admin.api_service.deleted", service.id);
    expect(audit!.details).toMatchObject({ apiService: service.name });
  });
});
