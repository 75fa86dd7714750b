import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, radiusClients } from "@/lib/db/schema";
import { findClientByAddress } from "@/lib/radius/clients";
import { createTestDatabase } from "@/lib/testing/test-database";
import { createTestUser } from "@/lib/testing/users";
import type { Agent } from "./agent-rules";
import {
  createRadiusClient,
  deleteRadiusClient,
  getRadiusClient,
  listRadiusClients,
  rotateRadiusSecret,
  setMessageAuthenticatorRequired,
  setRadiusClientDisabled,
  type RadiusClientInput,
} from "./radius-clients";

const context = { ip: "192.0.2.78", userAgent: "vitest" };
const why = { reason: "Campus VPN goes live", ticket: "CHG-16" };
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let admin: Agent;
let helpdesk: Agent;

beforeAll(async () => {
  database = await createTestDatabase();
  const agent = async (role: "admin" | "helpdesk"): Promise<Agent> => {
    const email = `radius-${role}@example.edu`;
    const { id } = await createTestUser(database.db, {
      email,
      displayName: `Radius ${role}`,
      role,
    });
    return { id, email, displayName: `Radius ${role}`, role, sessionId: `session-of-${id}` };
  };
  admin = await agent("admin");
  helpdesk = await agent("helpdesk");
});
afterAll(async () => {
  await database.dispose();
});

let counter = 0;

/** A valid client's settings, on its own /24, with `change` applied. */
function input(change: Partial<RadiusClientInput> = {}): RadiusClientInput {
  counter += 1;
  return { name: `VPN ${counter}`, address: `10.${counter}.0.0/24`, allowedRoles: null, ...change };
}

async function created(change: Partial<RadiusClientInput> = {}) {
  const result = await createRadiusClient(database.db, admin, input(change), why, context);
  if (!result.ok) throw new Error(result.message);
  return result;
}

async function auditOf(action: string, clientId: string) {
  const rows = await database.db
    .select({ actorId: auditLog.actorId, details: auditLog.details })
    .from(auditLog)
    .where(eq(auditLog.action, action as typeof auditLog.$inferSelect.action));
  return rows.filter((row) => (row.details as Record<string, unknown>).radiusClientId === clientId);
}

describe("adding a client", () => {
  it("generates the secret, keeps it only sealed, and audits the reason (R-A20.1, R-A16.2)", async () => {
    const { client, secret } = await created({ address: " 192.0.2.10 " });
    expect(secret).toMatch(/^[0-9a-f]{48}$/);
    expect(client).toMatchObject({
      address: "192.0.2.10",
      requireMessageAuthenticator: true,
      disabled: false,
      allowedRoles: null,
    });
    const [row] = await database.db
      .select({ sealed: radiusClients.sealedSecret })
      .from(radiusClients)
      .where(eq(radiusClients.id, client.id));
    expect(row!.sealed).not.toContain(secret);
    expect(await findClientByAddress(database.db, "192.0.2.10")).toMatchObject({
      id: client.id,
      secret,
    });
    const [audit] = await auditOf("admin.radius_client.created", client.id);
    expect(audit).toMatchObject({ actorId: admin.id });
    expect(audit!.details).toMatchObject({ reason: why.reason, ticket: "CHG-16" });
    expect(JSON.stringify(audit!.details)).not.toContain(secret);
  });

  it("refuses what is not an address or block, and keeps the roles it is given", async () => {
    for (const address of ["vpn.example.edu", "192.0.2.0/33", "0.0.0.0/0", "192.0.2.1/24/1", ""]) {
      const result = await createRadiusClient(database.db, admin, input({ address }), why, context);
      expect(result).toMatchObject({ ok: false, reason: "invalid" });
      if (!result.ok) expect(result.fieldErrors?.address).toBeDefined();
    }
    const { client } = await created({
      address: "2001:DB8::/32",
      allowedRoles: ["admin", "helpdesk"],
    });
    expect(client).toMatchObject({ address: "2001:db8::/32", allowedRoles: ["helpdesk", "admin"] });
    expect(await findClientByAddress(database.db, "2001:db8::5")).toMatchObject({ id: client.id });
  });

  it("answers the narrowest block holding the address", async () => {
    const wide = await created({ address: "172.16.0.0/12" });
    const narrow = await created({ address: "172.16.5.0/24" });
    expect((await findClientByAddress(database.db, "172.16.5.9"))?.id).toBe(narrow.client.id);
    expect((await findClientByAddress(database.db, "::ffff:172.17.0.1"))?.id).toBe(wide.client.id);
  });

  it("is for administrators only", async () => {
    expect(await createRadiusClient(database.db, helpdesk, input(), why, context)).toMatchObject({
      ok: false,
      reason: "not_allowed",
    });
  });
});

describe("changing a client", () => {
  it("rotates the secret: the new one is returned once and the old one stops working", async () => {
    const { client, secret } = await created();
    const rotated = await rotateRadiusSecret(database.db, admin, client.id, why, context);
    if (!rotated.ok) throw new Error(rotated.message);
    expect(rotated.secret).not.toBe(secret);
    const address = client.address.replace("/24", "").replace(/0$/, "1");
    expect((await findClientByAddress(database.db, address))?.secret).toBe(rotated.secret);
    expect(await auditOf("admin.radius_client.secret_rotated", client.id)).toHaveLength(1);
    expect(await rotateRadiusSecret(database.db, helpdesk, client.id, why, context)).toMatchObject({
      reason: "not_allowed",
    });
  });

  it("relaxes and requires the Message-Authenticator, audited each time (R-A20.2)", async () => {
    const { client } = await created();
    const relax = () =>
      setMessageAuthenticatorRequired(database.db, admin, client.id, false, why, context);
    expect(await relax()).toMatchObject({ ok: true });
    expect((await getRadiusClient(database.db, client.id))?.requireMessageAuthenticator).toBe(
      false,
    );
    expect(await relax()).toMatchObject({ ok: false, reason: "unchanged" });
    expect(
      await setMessageAuthenticatorRequired(database.db, admin, client.id, true, why, context),
    ).toMatchObject({ ok: true });
    const audits = await auditOf("admin.radius_client.message_authenticator_changed", client.id);
    expect(
      audits.map((a) => (a.details as Record<string, unknown>).requireMessageAuthenticator),
    ).toEqual(expect.arrayContaining([false, true]));
  });

  it("disables a client, whose address is then unknown, and enables it again", async () => {
    const { client } = await created();
    const address = client.address.replace("0/24", "7");
    expect(
      await setRadiusClientDisabled(database.db, admin, client.id, true, why, context),
    ).toMatchObject({
      ok: true,
    });
    expect(await findClientByAddress(database.db, address)).toBeNull();
    expect(
      await setRadiusClientDisabled(database.db, admin, client.id, true, why, context),
    ).toMatchObject({
      reason: "unchanged",
    });
    await setRadiusClientDisabled(database.db, admin, client.id, false, why, context);
    expect((await findClientByAddress(database.db, address))?.id).toBe(client.id);
  });

  it("deletes a client for good, audited with its name", async () => {
    const { client } = await created();
    expect(await deleteRadiusClient(database.db, helpdesk, client.id, why, context)).toMatchObject({
      reason: "not_allowed",
    });
    expect(await deleteRadiusClient(database.db, admin, client.id, why, context)).toMatchObject({
      ok: true,
      name: client.name,
    });
    expect(await getRadiusClient(database.db, client.id)).toBeNull();
    expect((await listRadiusClients(database.db)).some((c) => c.id === client.id)).toBe(false);
    expect(await deleteRadiusClient(database.db, admin, client.id, why, context)).toMatchObject({
      reason: "missing",
    });
    const [audit] = await auditOf("admin.radius_client.deleted", client.id);
    expect(audit!.details).toMatchObject({ radiusClient: client.name });
    expect(
      await database.db
        .select()
        .from(radiusClients)
        .where(and(eq(radiusClients.id, client.id))),
    ).toHaveLength(0);
  });
});
