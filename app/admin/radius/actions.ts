"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { fieldErrorsFrom } from "@/lib/actions/form-action";
import type { AgentReasonInput } from "@/lib/admin/agent-rules";
import { parseAgentReason, requireAgentAction, type Agent } from "@/lib/admin/guard";
import {
  checkNewRadiusClient,
  createRadiusClient,
  deleteRadiusClient,
  rotateRadiusSecret,
  setMessageAuthenticatorRequired,
  setRadiusClientDisabled,
  type RadiusClientChangeResult,
} from "@/lib/admin/radius-clients";
import { getDb, type Db } from "@/lib/db/client";
import { isUuid } from "@/lib/security/ids";
import { getRequestContext } from "@/lib/security/request-context";
import type { RequestContext } from "@/lib/types/request";
import type { AgentActionState } from "../agent-action-state";

// Every action here checks, itself: an administrator with a fresh second factor (R-A9.1,
// R-A17.1) and a reason (R-A16.2), before it reads anything else from the form.

const LIST = "/admin/radius";
const MISSING = "That RADIUS client does not exist.";

/** What "Add RADIUS client" answers: the new client's id, and its shared secret, once. */
export type RadiusClientFormState = AgentActionState & {
  clientId?: string;
  values?: Record<string, string>;
};

/** Exactly one string, or undefined: a repeated or file field is not an answer (R-A17.3). */
function single(formData: FormData, name: string): string | undefined {
  const values = formData.getAll(name);
  return values.length === 1 && typeof values[0] === "string" ? values[0] : undefined;
}

/**
 * "Add RADIUS client". The shared secret comes back in this answer only, for the dialog to show
 * once; it is never put back in a form (R-A20.1).
 */
export async function createRadiusClientAction(
  _state: RadiusClientFormState,
  formData: FormData,
): Promise<RadiusClientFormState> {
  const agent = await requireAgentAction(LIST, { adminOnly: true });
  if (!(formData instanceof FormData)) return { status: "error", message: "Send the form." };
  const audience = single(formData, "allowedRoles");
  const input = {
    name: single(formData, "name"),
    address: single(formData, "address"),
    allowedRoles:
      audience === "everyone" ? null : audience === undefined ? undefined : audience.split(" "),
  };
  const values = Object.fromEntries(
    ["name", "address", "allowedRoles", "reason", "ticket"].flatMap((name) => {
      const value = single(formData, name);
      return value === undefined ? [] : [[name, value.slice(0, 1000)]];
    }),
  );
  const why = parseAgentReason(formData);
  if (!why.success) {
    const checked = checkNewRadiusClient(input);
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
  const created = await createRadiusClient(
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
    message: `${created.client.name} was added.`,
    clientId: created.client.id,
    secret: created.secret,
  };
}

/** The client the form names, and the page to come back to after a step-up. */
function target(formData: FormData): { clientId: string | null; page: string } {
  const clientId = formData instanceof FormData ? formData.get("clientId") : null;
  return isUuid(clientId)
    ? { clientId, page: `${LIST}/${clientId}` }
    : { clientId: null, page: LIST };
}

type Perform<T extends object> = (
  db: Db,
  agent: Agent,
  clientId: string,
  why: AgentReasonInput,
  context: RequestContext,
) => Promise<RadiusClientChangeResult<T>>;

async function run<T extends object>(
  formData: FormData,
  perform: Perform<T>,
  success: string,
  secret?: (value: T) => string,
): Promise<AgentActionState> {
  const { clientId, page } = target(formData);
  const agent = await requireAgentAction(page, { adminOnly: true });
  if (!clientId) return { status: "error", message: MISSING };
  const why = parseAgentReason(formData);
  if (!why.success) return { status: "error", fieldErrors: fieldErrorsFrom(why.error.issues) };
  const result = await perform(await getDb(), agent, clientId, why.data, await getRequestContext());
  if (!result.ok) return { status: "error", message: result.message };
  revalidatePath(page);
  revalidatePath(LIST);
  return { status: "success", message: success, ...(secret ? { secret: secret(result) } : {}) };
}

/** "Rotate secret": the new secret comes back once, in this answer only. */
export async function rotateRadiusSecretAction(
  _state: AgentActionState,
  formData: FormData,
): Promise<AgentActionState> {
  return run(
    formData,
    rotateRadiusSecret,
    "A new shared secret was made. The old one no longer works: put this one in the client's configuration.",
    (value) => value.secret,
  );
}

/** "Require Message-Authenticator": the default, and the protection against Blast-RADIUS. */
export async function requireMessageAuthenticatorAction(
  _state: AgentActionState,
  formData: FormData,
): Promise<AgentActionState> {
  return run(
    formData,
    (db, agent, id, why, context) =>
      setMessageAuthenticatorRequired(db, agent, id, true, why, context),
    "Requests without a Message-Authenticator are dropped again.",
  );
}

/** "Allow requests without Message-Authenticator": for old equipment only. */
export async function relaxMessageAuthenticatorAction(
  _state: AgentActionState,
  formData: FormData,
): Promise<AgentActionState> {
  return run(
    formData,
    (db, agent, id, why, context) =>
      setMessageAuthenticatorRequired(db, agent, id, false, why, context),
    "Requests without a Message-Authenticator are now answered from this client.",
  );
}

/** "Disable": its packets are dropped until it is enabled again. */
export async function disableRadiusClientAction(
  _state: AgentActionState,
  formData: FormData,
): Promise<AgentActionState> {
  return run(
    formData,
    (db, agent, id, why, context) => setRadiusClientDisabled(db, agent, id, true, why, context),
    "The RADIUS client was disabled.",
  );
}

/** "Enable". */
export async function enableRadiusClientAction(
  _state: AgentActionState,
  formData: FormData,
): Promise<AgentActionState> {
  return run(
    formData,
    (db, agent, id, why, context) => setRadiusClientDisabled(db, agent, id, false, why, context),
    "The RADIUS client was enabled.",
  );
}

/** "Delete": for good; then back to the list. */
export async function deleteRadiusClientAction(
  _state: AgentActionState,
  formData: FormData,
): Promise<AgentActionState> {
  const state = await run(formData, deleteRadiusClient, "The RADIUS client was deleted.");
  if (state.status === "success") redirect(LIST);
  return state;
}
