import { isNotNull, isNull, sql, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import { z } from "zod";
import type { AuditAction } from "@/lib/audit/events";
import { writeAudit } from "@/lib/audit/log";
import { ROLES } from "@/lib/auth/users";
import type { Db, Executor } from "@/lib/db/client";
import { isUuid } from "@/lib/security/ids";
import type { RequestContext } from "@/lib/types/request";
import type { Result } from "@/lib/types/result";
import type { Agent, AgentReasonInput } from "./agent-rules";

// The lifecycle the console's registered integrations share — OpenID Connect applications,
// RADIUS clients and services API keys: only an administrator changes one, each change carries
// a reason and is audited in the transaction that makes it (R-A16.2), and asking for the state
// it is already in writes nothing. Each kind keeps its own table, secret and settings.

const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

export const INVALID_MESSAGE = "Some fields need attention; nothing was saved.";

/** The refusal of settings that need fixing, with every problem keyed by field. */
export const invalid = <FieldErrors extends object>(fieldErrors: FieldErrors) =>
  ({ ok: false, reason: "invalid", message: INVALID_MESSAGE, fieldErrors }) as const;

type AuditDetails = Record<string, string | number | boolean | null>;

/** What changing an integration answers: its fields, or a refusal with a message to show. */
export type IntegrationChangeResult<
  Success extends object,
  FieldErrors extends object = Record<string, string[]>,
> = Result<
  Success,
  "invalid" | "missing" | "not_allowed" | "unchanged",
  { message: string; fieldErrors?: FieldErrors }
>;

/** An integration's name as typed: plain text, at most `max` characters. */
export function integrationNameSchema(max: number) {
  return z
    .string({ error: "Enter a name." })
    .trim()
    .min(1, "Enter a name.")
    .max(max, `Keep the name to ${max} characters or fewer.`)
    .refine((v) => !CONTROL_CHARACTERS.test(v), "Use plain text only.");
}

/** Who may use an integration: some roles, in their usual order, or everyone (null). */
export function audienceSchema(message: string) {
  return z
    .array(z.enum(ROLES, { error: message }), { error: message })
    .min(1, message)
    .transform((roles) => ROLES.filter((role) => roles.includes(role)))
    .nullable();
}

/** A zod error's messages keyed by the field each is about (the name when none is). */
export function fieldErrorsOf<Field extends string>(error: z.ZodError) {
  const fieldErrors: Partial<Record<Field, string[]>> = {};
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? "name") as Field;
    (fieldErrors[field] ??= []).push(issue.message);
  }
  return fieldErrors;
}

/** The columns that mark an integration disabled now, or enabled again. */
export function disabledChange(disabled: boolean) {
  return { disabledAt: disabled ? sql`now()` : null, updatedAt: sql`now()` };
}

/**
 * Matches only a row not yet in the state asked for, so two administrators at once cannot both
 * record the change.
 */
export function notYetDisabled(disabledAt: PgColumn, disabled: boolean): SQL {
  return disabled ? isNull(disabledAt) : isNotNull(disabledAt);
}

/** A change that writes the row and answers it, or nothing when no row matched. */
type Apply<Named> = (tx: Executor) => Promise<Named[]>;

/**
 * The rules one kind of integration shares across its changes: its refusals, how its audit
 * records name it, and the guarded transaction each change runs in.
 */
export function integrationRules<Named extends { name: string }>(kind: {
  /** "That RADIUS client does not exist." */
  missing: string;
  /** "Only an administrator can change RADIUS clients." */
  notAllowed: string;
  /** The audit details that name one; the subject column names people only. */
  describe: (named: Named) => AuditDetails;
  /** Whether the row is there, to tell "missing" from "unchanged". */
  exists: (tx: Executor, id: string) => Promise<boolean>;
}) {
  const missing = { ok: false, reason: "missing", message: kind.missing } as const;
  const notAllowed = { ok: false, reason: "not_allowed", message: kind.notAllowed } as const;

  async function record(
    tx: Executor,
    action: AuditAction,
    agent: Agent,
    named: Named,
    why: AgentReasonInput,
    context: RequestContext,
    details: AuditDetails = {},
  ): Promise<void> {
    await writeAudit(tx, {
      action,
      outcome: "success",
      actorId: agent.id,
      subjectId: null,
      ip: context.ip,
      userAgent: context.userAgent,
      details: {
        ...kind.describe(named),
        ...details,
        reason: why.reason,
        ticket: why.ticket ?? null,
        actorRole: agent.role,
      },
    });
  }

  /** Runs `work` in one transaction, for an administrator and a well-formed id only. */
  async function change<T extends { ok: boolean }>(
    db: Db,
    agent: Agent,
    id: string,
    work: (tx: Executor) => Promise<T>,
  ): Promise<T | typeof missing | typeof notAllowed> {
    if (agent.role !== "admin") return notAllowed;
    if (!isUuid(id)) return missing;
    return db.transaction((tx) => work(tx));
  }

  /**
   * Sets one state of the integration (disabled, a requirement) with a conditional write:
   * asking for the state it is already in is refused as "unchanged", and nothing is written.
   */
  async function toggle(
    db: Db,
    agent: Agent,
    id: string,
    why: AgentReasonInput,
    context: RequestContext,
    step: { apply: Apply<Named>; action: AuditAction; already: string; details?: AuditDetails },
  ) {
    return change(db, agent, id, async (tx) => {
      const [named] = await step.apply(tx);
      if (!named) {
        if (!(await kind.exists(tx, id))) return missing;
        return { ok: false as const, reason: "unchanged" as const, message: step.already };
      }
      await record(tx, step.action, agent, named, why, context, step.details);
      return { ok: true as const };
    });
  }

  /** Deletes the integration for good, audited with what named it. */
  async function remove<Row extends Named>(
    db: Db,
    agent: Agent,
    id: string,
    why: AgentReasonInput,
    context: RequestContext,
    step: { apply: Apply<Row>; action: AuditAction; details?: (row: Row) => AuditDetails },
  ) {
    return change(db, agent, id, async (tx) => {
      const [named] = await step.apply(tx);
      if (!named) return missing;
      await record(tx, step.action, agent, named, why, context, step.details?.(named));
      return { ok: true as const, name: named.name };
    });
  }

  return { missing, notAllowed, record, change, toggle, remove };
}
