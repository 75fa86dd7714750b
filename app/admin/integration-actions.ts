import "server-only";
import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { fieldErrorsFrom } from "@/lib/actions/form-action";
import type { AgentReasonInput } from "@/lib/admin/agent-rules";
import { parseAgentReason, requireAgentAction, type Agent } from "@/lib/admin/guard";
import { INVALID_MESSAGE } from "@/lib/admin/integrations";
import { getDb, type Db } from "@/lib/db/client";
import { isUuid } from "@/lib/security/ids";
import { getRequestContext } from "@/lib/security/request-context";
import type { RequestContext } from "@/lib/types/request";
import type { AgentActionState } from "./agent-action-state";

// How the actions of the console's registered integrations (applications, RADIUS clients,
// services) run. Each checks, itself: an administrator with a fresh second factor (R-A9.1,
// R-A17.1) and a reason (R-A16.2), before it reads anything else from the form.

/** Where one kind of integration lives in the console. */
export type IntegrationSection = {
  /** The list page, e.g. "/admin/radius"; an integration's page is below it. */
  list: string;
  /** The hidden field that names the integration, e.g. "clientId". */
  idField: string;
  /** "That RADIUS client does not exist." */
  missing: string;
};

/** What a change of an integration in lib/admin answers. */
type Change<T extends object> =
  ({ ok: true } & T) | { ok: false; message: string; fieldErrors?: Record<string, string[]> };

/** A change of the integration named `id`, made in lib/admin. */
type Perform<T extends object> = (
  db: Db,
  agent: Agent,
  id: string,
  why: AgentReasonInput,
  context: RequestContext,
  formData: FormData,
) => Promise<Change<T>>;

/** Exactly one string, or undefined: a repeated or file field is not an answer (R-A17.3). */
export function single(formData: FormData, name: string): string | undefined {
  const values = formData.getAll(name);
  return values.length === 1 && typeof values[0] === "string" ? values[0] : undefined;
}

/** "Who can use it": "everyone" is everyone (null); otherwise the roles, space-separated. */
export function audienceOf(formData: FormData): unknown {
  const audience = single(formData, "allowedRoles");
  return audience === "everyone" ? null : audience === undefined ? undefined : audience.split(" ");
}

/** The fields as typed, cut to `maxLength`, to put back in the form (none is a secret). */
export function typedValues(
  formData: FormData,
  names: readonly string[],
  maxLength: number,
): Record<string, string> {
  return Object.fromEntries(
    names.flatMap((name) => {
      const value = single(formData, name);
      return value === undefined ? [] : [[name, value.slice(0, maxLength)]];
    }),
  );
}

/** The integration the form names, and the page to come back to after a step-up. */
export function integrationTarget(
  section: IntegrationSection,
  formData: FormData,
): { id: string | null; page: string } {
  const id = formData instanceof FormData ? formData.get(section.idField) : null;
  return isUuid(id) ? { id, page: `${section.list}/${id}` } : { id: null, page: section.list };
}

/**
 * "Add …": every problem at once when the reason is missing (the fields are checked too, though
 * nothing is saved), and what was typed put back after any refusal. A secret made here comes back
 * in `answer` only, and never in a form.
 */
export async function addIntegration<Input, Made extends object, State extends AgentActionState>(
  section: IntegrationSection,
  formData: FormData,
  steps: {
    read: (formData: FormData) => { input: Input; values: Record<string, string> };
    check: (input: Input) => { ok: true } | { ok: false; fieldErrors: Record<string, string[]> };
    create: (
      db: Db,
      agent: Agent,
      input: Input,
      why: AgentReasonInput,
      context: RequestContext,
    ) => Promise<Change<Made>>;
    answer: (made: Made) => State;
  },
): Promise<AgentActionState | State> {
  const agent = await requireAgentAction(section.list, { adminOnly: true });
  if (!(formData instanceof FormData)) return { status: "error", message: "Send the form." };
  const { input, values } = steps.read(formData);
  const why = parseAgentReason(formData);
  if (!why.success) {
    const checked = steps.check(input);
    return {
      status: "error",
      message: INVALID_MESSAGE,
      fieldErrors: {
        ...(checked.ok ? {} : checked.fieldErrors),
        ...fieldErrorsFrom(why.error.issues),
      },
      values,
    };
  }
  const created = await steps.create(
    await getDb(),
    agent,
    input,
    why.data,
    await getRequestContext(),
  );
  if (!created.ok) {
    return { status: "error", message: created.message, fieldErrors: created.fieldErrors, values };
  }
  revalidatePath(section.list);
  return steps.answer(created);
}

/**
 * A change of the integration the form names, confirmed in a dialog with a reason: `success` is
 * what the dialog says, and `secret` picks a new secret out of the answer to show once.
 */
export async function changeIntegration<T extends object>(
  section: IntegrationSection,
  formData: FormData,
  perform: Perform<T>,
  success: string,
  secret?: (value: T) => string,
): Promise<AgentActionState> {
  const { id, page } = integrationTarget(section, formData);
  const agent = await requireAgentAction(page, { adminOnly: true });
  if (!id) return { status: "error", message: section.missing };
  const why = parseAgentReason(formData);
  if (!why.success) return { status: "error", fieldErrors: fieldErrorsFrom(why.error.issues) };
  const result = await perform(
    await getDb(),
    agent,
    id,
    why.data,
    await getRequestContext(),
    formData,
  );
  if (!result.ok) {
    return { status: "error", message: result.message, fieldErrors: result.fieldErrors };
  }
  revalidatePath(page);
  revalidatePath(section.list);
  return { status: "success", message: success, ...(secret ? { secret: secret(result) } : {}) };
}

/** "Delete": for good; then back to the list, since the integration's page is gone. */
export async function deleteIntegration(
  section: IntegrationSection,
  formData: FormData,
  perform: Perform<{ name: string }>,
  success: string,
): Promise<AgentActionState> {
  const state = await changeIntegration(section, formData, perform, success);
  if (state.status === "success") redirect(section.list);
  return state;
}
