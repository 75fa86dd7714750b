import type { AppKind, AppProof, AppView } from "@/lib/admin/apps";
import type { Role } from "@/lib/auth/users";

// The words the console uses for an app's settings, shared by its list, its page and its forms.

export const KIND_NAMES: Record<AppKind, string> = {
  web: "Web app with a secret",
  public: "Single-page or mobile app",
};

export const KIND_HINTS: Record<AppKind, string> = {
  web: "Runs on a server that can keep a secret: it proves who it is with its client secret.",
  public:
    "Runs in the browser or on people's phones, where a secret cannot be kept: it has none, and proves each sign-in with PKCE.",
};

export const PROOF_NAMES: Record<AppProof, string> = {
  mfa: "A second factor",
  phishing_resistant: "A passkey or security key",
};

const ROLE_NAMES: Record<Role, string> = {
  user: "users",
  helpdesk: "helpdesk agents",
  admin: "administrators",
};

/** The choices of "Ask people to consent": off suits the organisation's own apps. */
export const CONSENT_CHOICES: readonly { value: "yes" | "no"; label: string }[] = [
  { value: "no", label: "No: the organisation's own app" },
  { value: "yes", label: "Yes, the first time they use it" },
];

/** The choices of "Who can use it": a select's value is the roles, space-separated. */
export const AUDIENCES: readonly { value: string; label: string }[] = [
  { value: "everyone", label: "Everyone" },
  { value: "helpdesk admin", label: "Helpdesk and administrators" },
  { value: "admin", label: "Administrators only" },
];

/** The select value for an app's roles (null: everyone). */
export function audienceValue(roles: readonly Role[] | null): string {
  return roles === null ? "everyone" : roles.join(" ");
}

/** Who can use an app, in words: one of the choices, or the roles themselves. */
export function describeAudience(roles: readonly Role[] | null): string {
  const value = audienceValue(roles);
  const known = AUDIENCES.find((audience) => audience.value === value);
  if (known) return known.label;
  const names = roles!.map((role) => ROLE_NAMES[role]);
  const listed =
    names.length > 1 ? `${names.slice(0, -1).join(", ")} and ${names.at(-1)}` : names[0];
  return `Only ${listed}`;
}

/** An app's settings as its form's fields hold them. */
export type AppFormValues = {
  name: string;
  kind: AppKind;
  redirectUris: string;
  postLogoutRedirectUris: string;
  backchannelLogoutUri: string;
  allowedRoles: string;
  proof: AppProof;
  askConsent: "yes" | "no";
};

/** What the "Add application" form starts with. */
export const NEW_APP_VALUES: AppFormValues = {
  name: "",
  kind: "web",
  redirectUris: "",
  postLogoutRedirectUris: "",
  backchannelLogoutUri: "",
  allowedRoles: "everyone",
  proof: "mfa",
  askConsent: "no",
};

/** An app's stored settings as its form's starting values. */
export function formValuesOf(app: AppView): AppFormValues {
  return {
    name: app.name,
    kind: app.kind,
    redirectUris: app.redirectUris.join("\n"),
    postLogoutRedirectUris: app.postLogoutRedirectUris.join("\n"),
    backchannelLogoutUri: app.backchannelLogoutUri ?? "",
    allowedRoles: audienceValue(app.allowedRoles),
    proof: app.proof,
    askConsent: app.askConsent ? "yes" : "no",
  };
}
