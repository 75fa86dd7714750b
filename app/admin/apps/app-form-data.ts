import type { AppInput } from "@/lib/admin/apps";
import type { AgentActionState } from "../agent-action-state";

/** What the app forms' actions answer: a new app's id, and a web app's secret, once. */
export type AppFormState = AgentActionState & { appId?: string };

/** Exactly one string, or undefined: a repeated or file field is not an answer (R-A17.3). */
function single(formData: FormData, name: string): string | undefined {
  const values = formData.getAll(name);
  return values.length === 1 && typeof values[0] === "string" ? values[0] : undefined;
}

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
  const values = Object.fromEntries(
    names.flatMap((name) => {
      const value = single(formData, name);
      return value === undefined ? [] : [[name, value.slice(0, 25_000)]];
    }),
  );
  const audience = single(formData, "allowedRoles");
  return {
    input: {
      name: single(formData, "name"),
      kind: single(formData, "kind"),
      redirectUris: lines(single(formData, "redirectUris")),
      postLogoutRedirectUris: lines(single(formData, "postLogoutRedirectUris") ?? ""),
      backchannelLogoutUri: single(formData, "backchannelLogoutUri") ?? "",
      allowedRoles:
        audience === "everyone" ? null : audience === undefined ? undefined : audience.split(" "),
      proof: single(formData, "proof"),
      askConsent: yesOrNo(single(formData, "askConsent")),
    },
    values,
  };
}
