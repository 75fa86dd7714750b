import type { AppInput } from "@/lib/admin/apps";
import type { AgentActionState } from "../agent-action-state";
import { audienceOf, single, typedValues, type IntegrationSection } from "../integration-actions";

/** What the app forms' actions answer: a new app's id, and a web app's secret, once. */
export type AppFormState = AgentActionState & { appId?: string };

export const APPS_SECTION: IntegrationSection = {
  list: "/admin/apps",
  idField: "appId",
  missing: "That application does not exist.",
};

/** A yes/no select's answer; anything else is passed on for the check to refuse. */
const yesOrNo = (answer: string | undefined) =>
  answer === "yes" ? true : answer === "no" ? false : answer;

const lines = (text: string | undefined) => (text === undefined ? undefined : text.split(/\r?\n/));

/**
 * An app form as lib/admin/apps.ts checks it, and its fields as typed, to put back in the form
 * when something needs fixing (nothing here is a secret).
 */
export function readAppForm(formData: FormData): {
  input: AppInput;
  values: Record<string, string>;
} {
  const names = [
    "name",
    "kind",
    "redirectUris",
    "postLogoutRedirectUris",
    "backchannelLogoutUri",
    "allowedRoles",
    "proof",
    "askConsent",
    "reason",
    "ticket",
  ];
  return {
    input: {
      name: single(formData, "name"),
      kind: single(formData, "kind"),
      redirectUris: lines(single(formData, "redirectUris")),
      postLogoutRedirectUris: lines(single(formData, "postLogoutRedirectUris") ?? ""),
      backchannelLogoutUri: single(formData, "backchannelLogoutUri") ?? "",
      allowedRoles: audienceOf(formData),
      proof: single(formData, "proof"),
      askConsent: yesOrNo(single(formData, "askConsent")),
    },
    values: typedValues(formData, names, 25_000),
  };
}
