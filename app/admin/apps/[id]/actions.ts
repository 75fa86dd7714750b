"use server";

import { revalidatePath } from "next/cache";
import { fieldErrorsFrom } from "@/lib/actions/form-action";
import {
  checkAppSettings,
  deleteApp,
  getApp,
  rotateAppSecret,
  setAppDisabled,
  updateApp,
} from "@/lib/admin/apps";
import { parseAgentReason, requireAgentAction } from "@/lib/admin/guard";
import { INVALID_MESSAGE } from "@/lib/admin/integrations";
import { getDb } from "@/lib/db/client";
import { getRequestContext } from "@/lib/security/request-context";
import type { AgentActionState } from "../../agent-action-state";
import { changeIntegration, deleteIntegration, integrationTarget } from "../../integration-actions";
import { APPS_SECTION, readAppForm, type AppFormState } from "../app-form-data";

// Every action here checks, itself: an administrator with a fresh second factor (R-A9.1,
// R-A17.1) and a reason (R-A16.2), before it reads anything else from the form.

/** The app's settings form: name, URIs, who may use it and the proof it needs. */
export async function updateAppAction(
  _state: AppFormState,
  formData: FormData,
): Promise<AppFormState> {
  const { id: appId, page } = integrationTarget(APPS_SECTION, formData);
  const agent = await requireAgentAction(page, { adminOnly: true });
  if (!appId) return { status: "error", message: APPS_SECTION.missing };
  const { input, values } = readAppForm(formData);
  const why = parseAgentReason(formData);
  const db = await getDb();
  if (!why.success) {
    const app = await getApp(db, appId);
    const checked = app ? checkAppSettings(input, app.kind) : null;
    return {
      status: "error",
      message: INVALID_MESSAGE,
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
  revalidatePath(APPS_SECTION.list);
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
  return changeIntegration(
    APPS_SECTION,
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
  return changeIntegration(
    APPS_SECTION,
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
  return changeIntegration(
    APPS_SECTION,
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
  return deleteIntegration(APPS_SECTION, formData, deleteApp, "The application was deleted.");
}
