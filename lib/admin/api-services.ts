import { and, asc, eq, isNotNull, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import type { AuditAction } from "@/lib/audit/events";
import { writeAudit } from "@/lib/audit/log";
import { ROLES, type Role } from "@/lib/auth/users";
import type { Db, Executor } from "@/lib/db/client";
import { apiServices } from "@/lib/db/schema";
import { isUuid } from "@/lib/security/ids";
import { newApiKey } from "@/lib/services/api-services";
import type { RequestContext } from "@/lib/types/request";
import type { Result } from "@/lib/types/result";
import type { Agent, AgentReasonInput } from "./agent-rules";

// The administrators' side of the services API: add a service, rotate its key, change who may
// use it and whether it sends the password, disable, enable and delete — each with its reason,
// audited in the transaction that makes the change (R-A16.2). The key is generated here,
// returned once and stored only as its hash (R-A20.5); the API reads the rows through
// lib/services/api-services.ts.

export const API_SERVICE_NAME_MAX_LENGTH = 60;
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

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

export type ApiServiceChangeResult<Success extends object = object> = Result<
  Success,
  "invalid" | "missing" | "not_allowed" | "unchanged",
  { message: string; fieldErrors?: ApiServiceFieldErrors }
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

const audienceSchema = z
  .array(z.enum(ROLES, { error: "Choose who can use it." }), { error: "Choose who can use it." })
  .min(1, "Choose who can use it.")
  .transform((roles) => ROLES.filter((role) => roles.includes(role)))
  .nullable();

const newServiceSchema = z.object({
  name: z
    .string({ error: "Enter a name." })
    .trim()
    .min(1, "Enter a name.")
    .max(
      API_SERVICE_NAME_MAX_LENGTH,
      `Keep the name to ${API_SERVICE_NAME_MAX_LENGTH} characters or fewer.`,
    )
    .refine((v) => !CONTROL_CHARACTERS.test(v), "Use plain text only."),
  allowedRoles: audienceSchema,
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
  const fieldErrors: ApiServiceFieldErrors = {};
  for (const issue of parsed.error.issues) {
    const field = String(issue.path[0] ?? "name") as ApiServiceField;
    (fieldErrors[field] ??= []).push(issue.message);
  }
  return { ok: false, reason: "invalid", fieldErrors };
}

const INVALID = "Some fields need attention; nothing was saved.";
const missing = {
  ok: false,
  reason: "missing",
  message: "That service does not exist.",
} as const;
const notAllowed = {
  ok: false,
  reason: "not_allowed",
  message: "Only an administrator can change services.",
} as const;

async function record(
  tx: Executor,
  action: AuditAction,
  agent: Agent,
  service: { id: string; name: string; keyPrefix: string },
  why: AgentReasonInput,
  context: RequestContext,
  details: Record<string, string | number | boolean | null> = {},
): Promise<void> {
  await writeAudit(tx, {
    action,
    outcome: "success",
    actorId: agent.id,
    // The subject column names people; the service is named in the details.
    subjectId: null,
    ip: context.ip,
    userAgent: context.userAgent,
    details: {
      apiService: service.name,
      apiServiceId: service.id,
      keyPrefix: service.keyPrefix,
      ...details,
      reason: why.reason,
      ticket: why.ticket ?? null,
      actorRole: agent.role,
    },
  });
}

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
  if (agent.role !== "admin") return notAllowed;
  const checked = checkNewApiService(input);
  if (!checked.ok)
    return { ok: false, reason: "invalid", message: INVALID, fieldErrors: checked.fieldErrors };
  const { settings } = checked;
  const { key, keyPrefix, keyHash } = newApiKey();
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(apiServices)
      .values({ ...settings, keyPrefix, keyHash })
      .returning(viewColumns);
    const service = toView(row!);
    await record(tx, "admin.api_service.created", agent, service, why, context, {
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
  if (agent.role !== "admin") return notAllowed;
  if (!isUuid(serviceId)) return missing;
  const { key, keyPrefix, keyHash } = newApiKey();
  return db.transaction(async (tx) => {
    const [before] = await tx
      .select(namedColumns)
      .from(apiServices)
      .where(eq(apiServices.id, serviceId))
      .for("update");
    if (!before) return missing;
    await tx
      .update(apiServices)
      .set({ keyPrefix, keyHash, updatedAt: sql`now()` })
      .where(eq(apiServices.id, serviceId));
    await record(tx, "admin.api_service.key_rotated", agent, before, why, context, {
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
  if (agent.role !== "admin") return notAllowed;
  if (!isUuid(serviceId)) return missing;
  const parsed = audienceSchema.safeParse(roles);
  if (!parsed.success) {
    return {
      ok: false,
      reason: "invalid",
      message: INVALID,
      fieldErrors: { allowedRoles: parsed.error.issues.map((issue) => issue.message) },
    };
  }
  const allowedRoles = parsed.data;
  return db.transaction(async (tx) => {
    const [before] = await tx
      .select({ ...namedColumns, allowedRoles: apiServices.allowedRoles })
      .from(apiServices)
      .where(eq(apiServices.id, serviceId))
      .for("update");
    if (!before) return missing;
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
    await record(tx, "admin.api_service.audience_changed", agent, before, why, context, {
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
  if (agent.role !== "admin") return notAllowed;
  if (!isUuid(serviceId)) return missing;
  return db.transaction(async (tx) => {
    const [service] = await tx
      .update(apiServices)
      .set({ passwordRequired: required, updatedAt: sql`now()` })
      .where(and(eq(apiServices.id, serviceId), eq(apiServices.passwordRequired, !required)))
      .returning(namedColumns);
    if (!service) {
      if (!(await getApiService(tx, serviceId))) return missing;
      return {
        ok: false as const,
        reason: "unchanged" as const,
        message: `The password is already ${required ? "required" : "not required"}.`,
      };
    }
    await record(
      tx,
      "admin.api_service.password_requirement_changed",
      agent,
      service,
      why,
      context,
      {
        passwordRequired: required,
      },
    );
    return { ok: true as const };
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
  if (agent.role !== "admin") return notAllowed;
  if (!isUuid(serviceId)) return missing;
  return db.transaction(async (tx) => {
    // Conditional, so two administrators at once cannot both record the change.
    const [service] = await tx
      .update(apiServices)
      .set({ disabledAt: disabled ? sql`now()` : null, updatedAt: sql`now()` })
      .where(
        and(
          eq(apiServices.id, serviceId),
          disabled ? isNull(apiServices.disabledAt) : isNotNull(apiServices.disabledAt),
        ),
      )
      .returning(namedColumns);
    if (!service) {
      if (!(await getApiService(tx, serviceId))) return missing;
      return {
        ok: false as const,
        reason: "unchanged" as const,
        message: `The service is already ${disabled ? "disabled" : "enabled"}.`,
      };
    }
    await record(
      tx,
      disabled ? "admin.api_service.disabled" : "admin.api_service.enabled",
      agent,
      service,
      why,
      context,
    );
    return { ok: true as const };
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
  if (agent.role !== "admin") return notAllowed;
  if (!isUuid(serviceId)) return missing;
  return db.transaction(async (tx) => {
    const [service] = await tx
      .delete(apiServices)
      .where(eq(apiServices.id, serviceId))
      .returning(namedColumns);
    if (!service) return missing;
    await record(tx, "admin.api_service.deleted", agent, service, why, context);
    return { ok: true as const, name: service.name };
  });
}
