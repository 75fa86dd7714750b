"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { fieldErrorsFrom } from "@/lib/actions/form-action";
import {
  checkAppSettings,
  deleteApp,
  getApp,
  rotateAppSecret,
  setAppDisabled,
  updateApp,
  type AppChangeResult,
} from "@/lib/admin/apps";
import type { AgentReasonInput } from "@/lib/admin/agent-rules";
import { parseAgentReason, requireAgentAction, type Agent } from "@/lib/admin/guard";
import { getDb, type Db } from "@/lib/db/client";
import { isUuid } from "@/lib/security/ids";
import { getRequestContext } from "@/lib/security/request-context";
import type { RequestContext } from "@/lib/types/request";
import type { AgentActionState } from "../../agent-action-state";
import { readAppForm, type AppFormState } from "../app-form-data";

// Every action here checks, itself: an administrator with a fresh second factor (R-A9.1,
// R-A17.1) and a reason (R-A16.2), before it reads anything else from the form.

const LIST = "/admin/apps";
const MISSING = "That application does not exist.";

/** The app the form names, and the page to come back to after a step-up. */
function target(formData: FormData): { appId: string | null; page: string } {
  const appId = formData instanceof FormData ? formData.get("appId") : null;
  return isUuid(appId) ? { appId, page: `${LIST}/${appId}` } : { appId: null, page: LIST };
}

type Perform<T extends object> = (
  db: Db,
  agent: Agent,
  appId: string,
  why: AgentReasonInput,
  context: RequestContext,
) => Promise<AppChangeResult<T>>;

async function run<T extends object>(
  formData: FormData,
  perform: Perform<T>,
  success: string,
  secret?: (value: T) => string,
): Promise<AgentActionState> {
  const { appId, page } = target(formData);
  const agent = await requireAgentAction(page, { adminOnly: true });
  if (!appId) return { status: "error", message: MISSING };
  const why = parseAgentReason(formData);
  if (!why.success) return { status: "error", fieldErrors: fieldErrorsFrom(why.error.issues) };
  const result = await perform(await getDb(), agent, appId, why.data, await getRequestContext());
  if (!result.ok) return { status: "error", message: result.message };
  revalidatePath(page);
  revalidatePath(LIST);
  return { status: "success", message: success, ...(secret ? { secret: secret(result) } : {}) };
}

/** The app's settings form: name, URIs, who may use it and the proof it needs. */
export async function updateAppAction(
  _state: AppFormState,
  formData: FormData,
): Promise<AppFormState> {
  const { appId, page } = target(formData);
  const agent = await requireAgentAction(page, { adminOnly: true });
  if (!appId) return { status: "error", message: MISSING };
  const { input, values } = readAppForm(formData);
  const why = parseAgentReason(formData);
  const db = await getDb();
  if (!why.success) {
    const app = await getApp(db, appId);
    const checked = app ? checkAppSettings(input, app.kind) : null;
    return {
      status: "error",
      message: "Some fields need attention; nothing was saved.",
      fieldErrors: {
        ...(checked && !checked.ok ? checked.fieldErrors : {}),
        ...fieldErrorsFrom(why.error.issues),
      },
      values,
    };
  }
  const updated = await updateApp(db, agent, appId, input, why.data, await getRequestContext());
  if (!updated.ok) {
    return { status: "error", message: updated.message, fieldErrors: updated.fieldErrors, values };
  }
  revalidatePath(page);
  revalidatePath(LIST);
  return {
    status: "success",
    message: updated.changed.length === 0 ? "Nothing changed." : "Saved.",
  };
}

/** "Rotate secret": the new secret comes back once, in this answer only (R-A19.4). */
export async function rotateAppSecretAction(
  _state: AgentActionState,
  formData: FormData,
): Promise<AgentActionState> {
  return run(
    formData,
    rotateAppSecret,
    "A new client secret was made. The old one no longer works: put this one in the app's configuration.",
    (value) => value.secret,
  );
}

/** "Disable": the provider treats the app as unknown until it is enabled again. */
export async function disableAppAction(
  _state: AgentActionState,
  formData: FormData,
): Promise<AgentActionState> {
  return run(
    formData,
    (db, agent, appId, why, context) => setAppDisabled(db, agent, appId, true, why, context),
    "The application was disabled.",
  );
}

/** "Enable". */
export async function enableAppAction(
  _state: AgentActionState,
  formData: FormData,
): Promise<AgentActionState> {
  return run(
    formData,
    (db, agent, appId, why, context) => setAppDisabled(db, agent, appId, false, why, context),
    "The application was enabled.",
  );
}

/** "Delete": for good; then back to the list. */
export async function deleteAppAction(
  _state: AgentActionState,
  formData: FormData,
): Promise<AgentActionState> {
  const state = await run(formData, deleteApp, "The application was deleted.");
  if (state.status === "success") redirect(LIST);
  return state;
}
