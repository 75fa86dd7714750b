import { and, asc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { Role } from "@/lib/auth/users";
import type { Db, Executor } from "@/lib/db/client";
import { apiServices } from "@/lib/db/schema";
import { isUuid } from "@/lib/security/ids";
import { newApiKey } from "@/lib/services/api-services";
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

// The administrators' side of the services API: add a service, rotate its key, change who may
// use it and whether it sends the password, disable, enable and delete — each with its reason,
// audited in the transaction that makes the change (R-A16.2). The key is generated here,
// returned once and stored only as its hash (R-A20.5); the API reads the rows through
// lib/services/api-services.ts.

export const API_SERVICE_NAME_MAX_LENGTH = 60;

/** What an administrator sends to add a service, as typed: nothing trusted yet. */
export type ApiServiceInput = { name: unknown; allowedRoles: unknown; passwordRequired: unknown };
export type ApiServiceField = keyof ApiServiceInput;
export type ApiServiceFieldErrors = Partial<Record<ApiServiceField, string[]>>;

/** A service as the console shows it: never its key, only the key's first characters. */
export type ApiServiceView = {
  id: string;
  name: string;
  keyPrefix: string;
  allowedRoles: Role[] | null;
  passwordRequired: boolean;
  disabled: boolean;
  lastUsedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
};

export type ApiServiceChangeResult<Success extends object = object> = IntegrationChangeResult<
  Success,
  ApiServiceFieldErrors
>;

const viewColumns = {
  id: apiServices.id,
  name: apiServices.name,
  keyPrefix: apiServices.keyPrefix,
  allowedRoles: apiServices.allowedRoles,
  passwordRequired: apiServices.passwordRequired,
  disabledAt: apiServices.disabledAt,
  lastUsedAt: apiServices.lastUsedAt,
  createdAt: apiServices.createdAt,
  updatedAt: apiServices.updatedAt,
};

function toView({
  disabledAt,
  ...row
}: Omit<typeof apiServices.$inferSelect, "keyHash">): ApiServiceView {
  return { ...row, disabled: disabledAt !== null };
}

/** What the audit records name a service by. */
const namedColumns = {
  id: apiServices.id,
  name: apiServices.name,
  keyPrefix: apiServices.keyPrefix,
};

/** Every service, by name. */
export async function listApiServices(db: Executor): Promise<ApiServiceView[]> {
  const rows = await db
    .select(viewColumns)
    .from(apiServices)
    .orderBy(asc(apiServices.name), asc(apiServices.id));
  return rows.map(toView);
}

/** One service by its id, or null (also for an id that is not a UUID). */
export async function getApiService(
  db: Executor,
  serviceId: string,
): Promise<ApiServiceView | null> {
  if (!isUuid(serviceId)) return null;
  const [row] = await db.select(viewColumns).from(apiServices).where(eq(apiServices.id, serviceId));
  return row ? toView(row) : null;
}

const serviceAudienceSchema = audienceSchema("Choose who can use it.");

const newServiceSchema = z.object({
  name: integrationNameSchema(API_SERVICE_NAME_MAX_LENGTH),
  allowedRoles: serviceAudienceSchema,
  passwordRequired: z.boolean({ error: "Choose whether the service sends the password." }),
});

/** Checks a new service's settings: the settings, or every problem keyed by field. */
export function checkNewApiService(
  input: ApiServiceInput,
): Result<
  { settings: z.infer<typeof newServiceSchema> },
  "invalid",
  { fieldErrors: ApiServiceFieldErrors }
> {
  const parsed = newServiceSchema.safeParse(input);
  if (parsed.success) return { ok: true, settings: parsed.data };
  return {
    ok: false,
    reason: "invalid",
    fieldErrors: fieldErrorsOf<ApiServiceField>(parsed.error),
  };
}

const rules = integrationRules<{ id: string; name: string; keyPrefix: string }>({
  missing: "That service does not exist.",
  notAllowed: "Only an administrator can change services.",
  describe: (service) => ({
    apiService: service.name,
    apiServiceId: service.id,
    keyPrefix: service.keyPrefix,
  }),
  exists: async (tx, id) => (await getApiService(tx, id)) !== null,
});

const describeRoles = (roles: readonly Role[] | null) => (roles ? roles.join(" ") : "everyone");

/**
 * Adds a service, audited in the same transaction. Its key is returned here once and stored only
 * as a hash: the caller shows it and keeps it nowhere (R-A20.5).
 */
export async function createApiService(
  db: Db,
  agent: Agent,
  input: ApiServiceInput,
  why: AgentReasonInput,
  context: RequestContext,
): Promise<ApiServiceChangeResult<{ service: ApiServiceView; key: string }>> {
  if (agent.role !== "admin") return rules.notAllowed;
  const checked = checkNewApiService(input);
  if (!checked.ok) return invalid(checked.fieldErrors);
  const { settings } = checked;
  const { key, keyPrefix, keyHash } = newApiKey();
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(apiServices)
      .values({ ...settings, keyPrefix, keyHash })
      .returning(viewColumns);
    const service = toView(row!);
    await rules.record(tx, "admin.api_service.created", agent, service, why, context, {
      allowedRoles: describeRoles(settings.allowedRoles),
      passwordRequired: settings.passwordRequired,
    });
    return { ok: true as const, service, key };
  });
}

/** Gives a service a new key, returned once; the old one stops working at the commit. */
export async function rotateApiKey(
  db: Db,
  agent: Agent,
  serviceId: string,
  why: AgentReasonInput,
  context: RequestContext,
): Promise<ApiServiceChangeResult<{ key: string; keyPrefix: string }>> {
  const { key, keyPrefix, keyHash } = newApiKey();
  return rules.change(db, agent, serviceId, async (tx) => {
    const [before] = await tx
      .select(namedColumns)
      .from(apiServices)
      .where(eq(apiServices.id, serviceId))
      .for("update");
    if (!before) return rules.missing;
    await tx
      .update(apiServices)
      .set({ keyPrefix, keyHash, updatedAt: sql`now()` })
      .where(eq(apiServices.id, serviceId));
    await rules.record(tx, "admin.api_service.key_rotated", agent, before, why, context, {
      newKeyPrefix: keyPrefix,
    });
    return { ok: true as const, key, keyPrefix };
  });
}

/** Changes who may use the service: everyone (null) or some roles. */
export async function setApiServiceAudience(
  db: Db,
  agent: Agent,
  serviceId: string,
  roles: unknown,
  why: AgentReasonInput,
  context: RequestContext,
): Promise<ApiServiceChangeResult> {
  const parsed = serviceAudienceSchema.safeParse(roles);
  return rules.change(db, agent, serviceId, async (tx) => {
    if (!parsed.success) {
      return invalid({ allowedRoles: parsed.error.issues.map((issue) => issue.message) });
    }
    const allowedRoles = parsed.data;
    const [before] = await tx
      .select({ ...namedColumns, allowedRoles: apiServices.allowedRoles })
      .from(apiServices)
      .where(eq(apiServices.id, serviceId))
      .for("update");
    if (!before) return rules.missing;
    if (describeRoles(before.allowedRoles) === describeRoles(allowedRoles)) {
      return {
        ok: false as const,
        reason: "unchanged" as const,
        message: "The service already has those people.",
      };
    }
    await tx
      .update(apiServices)
      .set({ allowedRoles, updatedAt: sql`now()` })
      .where(eq(apiServices.id, serviceId));
    await rules.record(tx, "admin.api_service.audience_changed", agent, before, why, context, {
      from: describeRoles(before.allowedRoles),
      to: describeRoles(allowedRoles),
    });
    return { ok: true as const };
  });
}

/**
 * Requires the person's password with every call (the default), or not — for a service that
 * has proven who the person is by other means, such as an SSH key before a PAM module.
 */
export async function setApiServicePasswordRequired(
  db: Db,
  agent: Agent,
  serviceId: string,
  required: boolean,
  why: AgentReasonInput,
  context: RequestContext,
): Promise<ApiServiceChangeResult> {
  return rules.toggle(db, agent, serviceId, why, context, {
    apply: (tx) =>
      tx
        .update(apiServices)
        .set({ passwordRequired: required, updatedAt: sql`now()` })
        .where(and(eq(apiServices.id, serviceId), eq(apiServices.passwordRequired, !required)))
        .returning(namedColumns),
    action: "admin.api_service.password_requirement_changed",
    already: `The password is already ${required ? "required" : "not required"}.`,
    details: { passwordRequired: required },
  });
}

/** Disables a service (its key is then refused) or enables it. */
export async function setApiServiceDisabled(
  db: Db,
  agent: Agent,
  serviceId: string,
  disabled: boolean,
  why: AgentReasonInput,
  context: RequestContext,
): Promise<ApiServiceChangeResult> {
  return rules.toggle(db, agent, serviceId, why, context, {
    apply: (tx) =>
      tx
        .update(apiServices)
        .set(disabledChange(disabled))
        .where(and(eq(apiServices.id, serviceId), notYetDisabled(apiServices.disabledAt, disabled)))
        .returning(namedColumns),
    action: disabled ? "admin.api_service.disabled" : "admin.api_service.enabled",
    already: `The service is already ${disabled ? "disabled" : "enabled"}.`,
  });
}

/** Deletes a service and its key for good, audited with its name. */
export async function deleteApiService(
  db: Db,
  agent: Agent,
  serviceId: string,
  why: AgentReasonInput,
  context: RequestContext,
): Promise<ApiServiceChangeResult<{ name: string }>> {
  return rules.remove(db, agent, serviceId, why, context, {
    apply: (tx) =>
      tx.delete(apiServices).where(eq(apiServices.id, serviceId)).returning(namedColumns),
    action: "admin.api_service.deleted",
  });
}
