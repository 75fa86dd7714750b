"use server";

import {
  checkNewApiService,
  createApiService,
  deleteApiService,
  rotateApiKey,
  setApiServiceAudience,
  setApiServiceDisabled,
  setApiServicePasswordRequired,
} from "@/lib/admin/api-services";
import type { AgentActionState } from "../agent-action-state";
import {
  addIntegration,
  audienceOf,
  changeIntegration,
  deleteIntegration,
  single,
  typedValues,
  type IntegrationSection,
} from "../integration-actions";

// Every action here checks, itself: an administrator with a fresh second factor (R-A9.1,
// R-A17.1) and a reason (R-A16.2), before it reads anything else from the form.

const SECTION: IntegrationSection = {
  list: "/admin/services",
  idField: "serviceId",
  missing: "That service does not exist.",
};

/** What "Add service" answers: the new service's id, and its API key, once. */
export type ApiServiceFormState = AgentActionState & { serviceId?: string };

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
  return addIntegration(SECTION, formData, {
    read: (form) => ({
      input: {
        name: single(form, "name"),
        allowedRoles: audienceOf(form),
        passwordRequired: passwordRequiredOf(form),
      },
      values: typedValues(
        form,
        ["name", "allowedRoles", "passwordRequired", "reason", "ticket"],
        1000,
      ),
    }),
    check: checkNewApiService,
    create: createApiService,
    answer: ({ service, key }): ApiServiceFormState => ({
      status: "success",
      message: `${service.name} was added.`,
      serviceId: service.id,
      secret: key,
    }),
  });
}

/** "Rotate key": the new key comes back once, in this answer only. */
export async function rotateApiKeyAction(
  _state: AgentActionState,
  formData: FormData,
): Promise<AgentActionState> {
  return changeIntegration(
    SECTION,
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
  return changeIntegration(
    SECTION,
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
  return changeIntegration(
    SECTION,
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
  return changeIntegration(
    SECTION,
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
  return changeIntegration(
    SECTION,
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
  return changeIntegration(
    SECTION,
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
  return deleteIntegration(SECTION, formData, deleteApiService, "The service was deleted.");
}
