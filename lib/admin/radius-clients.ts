import { and, asc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { Role } from "@/lib/auth/users";
import type { Db, Executor } from "@/lib/db/client";
import { radiusClients } from "@/lib/db/schema";
import { newSharedSecret, parseAddressBlock, sealSharedSecret } from "@/lib/radius/clients";
import { isUuid } from "@/lib/security/ids";
import type { RequestContext } from "@/lib/types/request";
import type { Result } from "@/lib/types/result";
import type { Agent, AgentReasonInput } from "./agent-rules";
import {
  audienceSchema,
  disabledChange,
  fieldErrorsOf,
  integrationNameSchema,
  integrationRules,
  invalid,
  notYetDisabled,
  type IntegrationChangeResult,
} from "./integrations";

// The administrators' side of the RADIUS clients: add, rotate the secret, require or relax the
// Message-Authenticator, disable, enable and delete — each with its reason, audited in the
// transaction that makes the change (R-A16.2). The shared secret is generated here, returned
// once and stored only sealed (R-A20.1); the server reads the rows through lib/radius/clients.ts.

export const RADIUS_CLIENT_NAME_MAX_LENGTH = 60;

/** What an administrator sends to add a client, as typed: nothing trusted yet. */
export type RadiusClientInput = { name: unknown; address: unknown; allowedRoles: unknown };
export type RadiusClientField = keyof RadiusClientInput;
export type RadiusClientFieldErrors = Partial<Record<RadiusClientField, string[]>>;

/** A client as the console shows it: never its secret. */
export type RadiusClientView = {
  id: string;
  name: string;
  address: string;
  requireMessageAuthenticator: boolean;
  allowedRoles: Role[] | null;
  disabled: boolean;
  createdAt: Date;
  updatedAt: Date;
};

export type RadiusClientChangeResult<Success extends object = object> = IntegrationChangeResult<
  Success,
  RadiusClientFieldErrors
>;

const viewColumns = {
  id: radiusClients.id,
  name: radiusClients.name,
  address: radiusClients.address,
  requireMessageAuthenticator: radiusClients.requireMessageAuthenticator,
  allowedRoles: radiusClients.allowedRoles,
  disabledAt: radiusClients.disabledAt,
  createdAt: radiusClients.createdAt,
  updatedAt: radiusClients.updatedAt,
};

function toView({
  disabledAt,
  ...row
}: Omit<typeof radiusClients.$inferSelect, "sealedSecret">): RadiusClientView {
  return { ...row, disabled: disabledAt !== null };
}

/** Every client, by name. */
export async function listRadiusClients(db: Executor): Promise<RadiusClientView[]> {
  const rows = await db
    .select(viewColumns)
    .from(radiusClients)
    .orderBy(asc(radiusClients.name), asc(radiusClients.id));
  return rows.map(toView);
}

/** One client by its id, or null (also for an id that is not a UUID). */
export async function getRadiusClient(
  db: Executor,
  clientId: string,
): Promise<RadiusClientView | null> {
  if (!isUuid(clientId)) return null;
  const [row] = await db
    .select(viewColumns)
    .from(radiusClients)
    .where(eq(radiusClients.id, clientId));
  return row ? toView(row) : null;
}

const newClientSchema = z.object({
  name: integrationNameSchema(RADIUS_CLIENT_NAME_MAX_LENGTH),
  address: z
    .string({ error: "Enter the client's address." })
    .trim()
    .min(1, "Enter the client's address.")
    .max(64, "Enter one address or CIDR block, such as 192.0.2.10 or 192.0.2.0/24.")
    .transform((text, ctx) => {
      const block = parseAddressBlock(text);
      if (!block) {
        ctx.addIssue({
          code: "custom",
          message: "Enter one address or CIDR block, such as 192.0.2.10 or 192.0.2.0/24.",
        });
        return z.NEVER;
      }
      return block.text;
    }),
  allowedRoles: audienceSchema("Choose who can use it."),
});

/** Checks a new client's settings: the settings, or every problem keyed by field. */
export function checkNewRadiusClient(
  input: RadiusClientInput,
): Result<
  { settings: z.infer<typeof newClientSchema> },
  "invalid",
  { fieldErrors: RadiusClientFieldErrors }
> {
  const parsed = newClientSchema.safeParse(input);
  if (parsed.success) return { ok: true, settings: parsed.data };
  return {
    ok: false,
    reason: "invalid",
    fieldErrors: fieldErrorsOf<RadiusClientField>(parsed.error),
  };
}

/** What the audit records name a client by. */
const namedColumns = {
  id: radiusClients.id,
  name: radiusClients.name,
  address: radiusClients.address,
};

const rules = integrationRules<{ id: string; name: string; address: string }>({
  missing: "That RADIUS client does not exist.",
  notAllowed: "Only an administrator can change RADIUS clients.",
  describe: (client) => ({
    radiusClient: client.name,
    radiusClientId: client.id,
    address: client.address,
  }),
  exists: async (tx, id) => (await getRadiusClient(tx, id)) !== null,
});

/**
 * Adds a client, audited in the same transaction. Its shared secret is returned here once and
 * stored only sealed: the caller shows it and keeps it nowhere (R-A20.1). The
 * Message-Authenticator is required from the start (R-A20.2).
 */
export async function createRadiusClient(
  db: Db,
  agent: Agent,
  input: RadiusClientInput,
  why: AgentReasonInput,
  context: RequestContext,
): Promise<RadiusClientChangeResult<{ client: RadiusClientView; secret: string }>> {
  if (agent.role !== "admin") return rules.notAllowed;
  const checked = checkNewRadiusClient(input);
  if (!checked.ok) return invalid(checked.fieldErrors);
  const { settings } = checked;
  const id = crypto.randomUUID();
  const secret = newSharedSecret();
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(radiusClients)
      .values({ id, ...settings, sealedSecret: sealSharedSecret(id, secret) })
      .returning(viewColumns);
    const client = toView(row!);
    await rules.record(tx, "admin.radius_client.created", agent, client, why, context, {
      allowedRoles: settings.allowedRoles ? settings.allowedRoles.join(" ") : "everyone",
      requireMessageAuthenticator: true,
    });
    return { ok: true as const, client, secret };
  });
}

/** Gives a client a new shared secret, returned once; the old one stops working at the commit. */
export async function rotateRadiusSecret(
  db: Db,
  agent: Agent,
  clientId: string,
  why: AgentReasonInput,
  context: RequestContext,
): Promise<RadiusClientChangeResult<{ secret: string }>> {
  const secret = newSharedSecret();
  return rules.change(db, agent, clientId, async (tx) => {
    const [client] = await tx
      .update(radiusClients)
      .set({ sealedSecret: sealSharedSecret(clientId, secret), updatedAt: sql`now()` })
      .where(eq(radiusClients.id, clientId))
      .returning(namedColumns);
    if (!client) return rules.missing;
    await rules.record(tx, "admin.radius_client.secret_rotated", agent, client, why, context);
    return { ok: true as const, secret };
  });
}

/**
 * Requires the Message-Authenticator on every Access-Request (the default), or relaxes it for
 * equipment too old to send one — which leaves that client open to Blast-RADIUS (CVE-2024-3596).
 */
export async function setMessageAuthenticatorRequired(
  db: Db,
  agent: Agent,
  clientId: string,
  required: boolean,
  why: AgentReasonInput,
  context: RequestContext,
): Promise<RadiusClientChangeResult> {
  return rules.toggle(db, agent, clientId, why, context, {
    apply: (tx) =>
      tx
        .update(radiusClients)
        .set({ requireMessageAuthenticator: required, updatedAt: sql`now()` })
        .where(
          and(
            eq(radiusClients.id, clientId),
            eq(radiusClients.requireMessageAuthenticator, !required),
          ),
        )
        .returning(namedColumns),
    action: "admin.radius_client.message_authenticator_changed",
    already: `The Message-Authenticator is already ${required ? "required" : "optional"}.`,
    details: { requireMessageAuthenticator: required },
  });
}

/** Disables a client (its packets are then dropped as from an unknown address) or enables it. */
export async function setRadiusClientDisabled(
  db: Db,
  agent: Agent,
  clientId: string,
  disabled: boolean,
  why: AgentReasonInput,
  context: RequestContext,
): Promise<RadiusClientChangeResult> {
  return rules.toggle(db, agent, clientId, why, context, {
    apply: (tx) =>
      tx
        .update(radiusClients)
        .set(disabledChange(disabled))
        .where(
          and(eq(radiusClients.id, clientId), notYetDisabled(radiusClients.disabledAt, disabled)),
        )
        .returning(namedColumns),
    action: disabled ? "admin.radius_client.disabled" : "admin.radius_client.enabled",
    already: `The RADIUS client is already ${disabled ? "disabled" : "enabled"}.`,
  });
}

/** Deletes a client for good, audited with its name and address. */
export async function deleteRadiusClient(
  db: Db,
  agent: Agent,
  clientId: string,
  why: AgentReasonInput,
  context: RequestContext,
): Promise<RadiusClientChangeResult<{ name: string }>> {
  return rules.remove(db, agent, clientId, why, context, {
    apply: (tx) =>
      tx.delete(radiusClients).where(eq(radiusClients.id, clientId)).returning(namedColumns),
    action: "admin.radius_client.deleted",
  });
}
