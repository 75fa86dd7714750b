"use server";

import {
  checkNewRadiusClient,
  createRadiusClient,
  deleteRadiusClient,
  rotateRadiusSecret,
  setMessageAuthenticatorRequired,
  setRadiusClientDisabled,
} from "@/lib/admin/radius-clients";
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
  list: "/admin/radius",
  idField: "clientId",
  missing: "That RADIUS client does not exist.",
};

/** What "Add RADIUS client" answers: the new client's id, and its shared secret, once. */
export type RadiusClientFormState = AgentActionState & { clientId?: string };

/**
 * "Add RADIUS client". The shared secret comes back in this answer only, for the dialog to show
 * once; it is never put back in a form (R-A20.1).
 */
export async function createRadiusClientAction(
  _state: RadiusClientFormState,
  formData: FormData,
): Promise<RadiusClientFormState> {
  return addIntegration(SECTION, formData, {
    read: (form) => ({
      input: {
        name: single(form, "name"),
        address: single(form, "address"),
        allowedRoles: audienceOf(form),
      },
      values: typedValues(form, ["name", "address", "allowedRoles", "reason", "ticket"], 1000),
    }),
    check: checkNewRadiusClient,
    create: createRadiusClient,
    answer: ({ client, secret }): RadiusClientFormState => ({
      status: "success",
      message: `${client.name} was added.`,
      clientId: client.id,
      secret,
    }),
  });
}

/** "Rotate secret": the new secret comes back once, in this answer only. */
export async function rotateRadiusSecretAction(
  _state: AgentActionState,
  formData: FormData,
): Promise<AgentActionState> {
  return changeIntegration(
    SECTION,
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
  return changeIntegration(
    SECTION,
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
  return changeIntegration(
    SECTION,
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
  return changeIntegration(
    SECTION,
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
  return changeIntegration(
    SECTION,
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
  return deleteIntegration(SECTION, formData, deleteRadiusClient, "The RADIUS client was deleted.");
}
