"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { fieldErrorsFrom } from "@/lib/actions/form-action";
import type { AgentReasonInput } from "@/lib/admin/agent-rules";
import {
  checkNewApiService,
  createApiService,
  deleteApiService,
  rotateApiKey,
  setApiServiceAudience,
  setApiServiceDisabled,
  setApiServicePasswordRequired,
  type ApiServiceChangeResult,
} from "@/lib/admin/api-services";
import { parseAgentReason, requireAgentAction, type Agent } from "@/lib/admin/guard";
import { getDb, type Db } from "@/lib/db/client";
import { isUuid } from "@/lib/security/ids";
import { getRequestContext } from "@/lib/security/request-context";
import type { RequestContext } from "@/lib/types/request";
import type { AgentActionState } from "../agent-action-state";

// Every action here checks, itself: an administrator with a fresh second factor (R-A9.1,
// R-A17.1) and a reason (R-A16.2), before it reads anything else from the form.

const LIST = "/admin/services";
const MISSING = "That service does not exist.";

/** What "Add service" answers: the new service's id, and its API key, once. */
export type ApiServiceFormState = AgentActionState & {
  serviceId?: string;
  values?: Record<string, string>;
};

/** Exactly one string, or undefined: a repeated or file field is not an answer (R-A17.3). */
function single(formData: FormData, name: string): string | undefined {
  const values = formData.getAll(name);
  return values.length === 1 && typeof values[0] === "string" ? values[0] : undefined;
}

/** "everyone" is everyone (null); otherwise the roles, space-separated. */
function audienceOf(formData: FormData): unknown {
  const audience = single(formData, "allowedRoles");
  return audience === "everyone" ? null : audience === undefined ? undefined : audience.split(" ");
}

/** The select's "yes" and "no"; anything else is left for the check to refuse. */
function passwordRequiredOf(formData: FormData): unknown {
  const value = single(formData, "passwordRequired");
  return value === "yes" ? true : value === "no" ? false : value;
}

/**
 * "Add service". The key comes back in this answer only, for the dialog to show once; it is
 * never put back in a form (R-A20.5).
 */
export async function createApiServiceAction(
  _state: ApiServiceFormState,
  formData: FormData,
): Promise<ApiServiceFormState> {
  const agent = await requireAgentAction(LIST, { adminOnly: true });
  if (!(formData instanceof FormData)) return { status: "error", message: "Send the form." };
  const input = {
    name: single(formData, "name"),
    allowedRoles: audienceOf(formData),
    passwordRequired: passwordRequiredOf(formData),
  };
  const values = Object.fromEntries(
    ["name", "allowedRoles", "passwordRequired", "reason", "ticket"].flatMap((name) => {
      const value = single(formData, name);
      return value === undefined ? [] : [[name, value.slice(0, 1000)]];
    }),
  );
  const why = parseAgentReason(formData);
  if (!why.success) {
    const checked = checkNewApiService(input);
    return {
      status: "error",
      message: "Some fields need attention; nothing was saved.",
      fieldErrors: {
        ...(checked.ok ? {} : checked.fieldErrors),
        ...fieldErrorsFrom(why.error.issues),
      },
      values,
    };
  }
  const created = await createApiService(
    await getDb(),
    agent,
    input,
    why.data,
    await getRequestContext(),
  );
  if (!created.ok) {
    return { status: "error", message: created.message, fieldErrors: created.fieldErrors, values };
  }
  revalidatePath(LIST);
  return {
    status: "success",
    message: `${created.service.name} was added.`,
    serviceId: created.service.id,
    secret: created.key,
  };
}

/** The service the form names, and the page to come back to after a step-up. */
function target(formData: FormData): { serviceId: string | null; page: string } {
  const serviceId = formData instanceof FormData ? formData.get("serviceId") : null;
  return isUuid(serviceId)
    ? { serviceId, page: `${LIST}/${serviceId}` }
    : { serviceId: null, page: LIST };
}

type Perform<T extends object> = (
  db: Db,
  agent: Agent,
  serviceId: string,
  why: AgentReasonInput,
  context: RequestContext,
  formData: FormData,
) => Promise<ApiServiceChangeResult<T>>;

async function run<T extends object>(
  formData: FormData,
  perform: Perform<T>,
  success: string,
  secret?: (value: T) => string,
): Promise<AgentActionState> {
  const { serviceId, page } = target(formData);
  const agent = await requireAgentAction(page, { adminOnly: true });
  if (!serviceId) return { status: "error", message: MISSING };
  const why = parseAgentReason(formData);
  if (!why.success) return { status: "error", fieldErrors: fieldErrorsFrom(why.error.issues) };
  const result = await perform(
    await getDb(),
    agent,
    serviceId,
    why.data,
    await getRequestContext(),
    formData,
  );
  if (!result.ok) {
    return { status: "error", message: result.message, fieldErrors: result.fieldErrors };
  }
  revalidatePath(page);
  revalidatePath(LIST);
  return { status: "success", message: success, ...(secret ? { secret: secret(result) } : {}) };
}

/** "Rotate key": the new key comes back once, in this answer only. */
export async function rotateApiKeyAction(
  _state: AgentActionState,
  formData: FormData,
): Promise<AgentActionState> {
  return run(
    formData,
    rotateApiKey,
    "A new API key was made. The old one no longer works: put this one in the service's configuration.",
    (value) => value.key,
  );
}

/** "Change who can use it". */
export async function changeApiServiceAudienceAction(
  _state: AgentActionState,
  formData: FormData,
): Promise<AgentActionState> {
  return run(
    formData,
    (db, agent, id, why, context, form) =>
      setApiServiceAudience(db, agent, id, audienceOf(form), why, context),
    "Who can use the service was changed.",
  );
}

/** "Require the password": the default. */
export async function requireApiServicePasswordAction(
  _state: AgentActionState,
  formData: FormData,
): Promise<AgentActionState> {
  return run(
    formData,
    (db, agent, id, why, context) =>
      setApiServicePasswordRequired(db, agent, id, true, why, context),
    "Calls from this service must now send the person's password.",
  );
}

/** "Stop requiring the password": for a service that proves who the person is itself. */
export async function relaxApiServicePasswordAction(
  _state: AgentActionState,
  formData: FormData,
): Promise<AgentActionState> {
  return run(
    formData,
    (db, agent, id, why, context) =>
      setApiServicePasswordRequired(db, agent, id, false, why, context),
    "Calls from this service may now leave the password out.",
  );
}

/** "Disable": its key is refused until it is enabled again. */
export async function disableApiServiceAction(
  _state: AgentActionState,
  formData: FormData,
): Promise<AgentActionState> {
  return run(
    formData,
    (db, agent, id, why, context) => setApiServiceDisabled(db, agent, id, true, why, context),
    "The service was disabled.",
  );
}

/** "Enable". */
export async function enableApiServiceAction(
  _state: AgentActionState,
  formData: FormData,
): Promise<AgentActionState> {
  return run(
    formData,
    (db, agent, id, why, context) => setApiServiceDisabled(db, agent, id, false, why, context),
    "The service was enabled.",
  );
}

/** "Delete": for good; then back to the list. */
export async function deleteApiServiceAction(
  _state: AgentActionState,
  formData: FormData,
): Promise<AgentActionState> {
  const state = await run(formData, deleteApiService, "The service was deleted.");
  if (state.status === "success") redirect(LIST);
  return state;
}
