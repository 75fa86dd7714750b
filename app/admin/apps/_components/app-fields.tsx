import { Field, SelectField, TextAreaField } from "@/components/forms/field";
import type { AppKind } from "@/lib/admin/apps";
import type { Role } from "@/lib/auth/users";
import {
  AUDIENCES,
  CONSENT_CHOICES,
  describeAudience,
  KIND_HINTS,
  KIND_NAMES,
  PROOF_NAMES,
  type AppFormValues,
} from "../app-choices";

/**
 * An app's settings as form fields, for "Add application" and the app's page. The server checks
 * every value again (lib/admin/apps.ts); `errors` are its answers, keyed by field name.
 */
export function AppFields({
  values,
  errors,
  editing,
}: {
  values: AppFormValues;
  errors?: Record<string, string[]>;
  /** On an app's page: the kind is shown, not chosen, since it never changes. */
  editing: boolean;
}) {
  // An app whose roles match no choice (set outside the console) keeps them unless changed.
  const audiences = AUDIENCES.some((audience) => audience.value === values.allowedRoles)
    ? AUDIENCES
    : [
        ...AUDIENCES,
        {
          value: values.allowedRoles,
          label: describeAudience(values.allowedRoles.split(" ") as Role[]),
        },
      ];
  return (
    <>
      <Field
        label="Name"
        name="name"
        required
        maxLength={100}
        autoComplete="off"
        hint="What people see when they sign in to it and in My apps."
        defaultValue={values.name}
        errors={errors?.name}
      />
      {editing ? (
        <p>
          <span className="font-medium">Kind:</span> {KIND_NAMES[values.kind]}{" "}
          <span className="text-sm text-slate-600">(cannot be changed)</span>
        </p>
      ) : (
        <fieldset
          className="space-y-2"
          aria-describedby={errors?.kind ? "field-kind-error" : undefined}
        >
          <legend className="text-sm font-medium text-slate-800">Kind of app</legend>
          {(Object.keys(KIND_NAMES) as AppKind[]).map((kind) => (
            <div key={kind}>
              <label className="flex items-center gap-2">
                <input
                  type="radio"
                  name="kind"
                  value={kind}
                  defaultChecked={values.kind === kind}
                  aria-describedby={`kind-${kind}-hint`}
                  className="h-4 w-4"
                />
                {KIND_NAMES[kind]}
              </label>
              <p id={`kind-${kind}-hint`} className="ml-6 text-sm text-slate-600">
                {KIND_HINTS[kind]}
              </p>
            </div>
          ))}
          {errors?.kind && (
            <p id="field-kind-error" className="text-sm font-medium text-red-700">
              {errors.kind.join(" ")}
            </p>
          )}
        </fieldset>
      )}
      <TextAreaField
        label="Redirect URIs"
        name="redirectUris"
        rows={3}
        spellCheck={false}
        hint="One a line, exactly as the app sends them (1 to 10): https, or http only for localhost, 127.0.0.1 or [::1]. A single-page or mobile app may use its own scheme, such as com.example.app:/callback. No wildcards and no #fragment."
        defaultValue={values.redirectUris}
        errors={errors?.redirectUris}
      />
      <TextAreaField
        label="Post-logout redirect URIs"
        name="postLogoutRedirectUris"
        rows={2}
        spellCheck={false}
        hint="Optional. Where the app may send people after they sign out, one a line, by the same rules."
        defaultValue={values.postLogoutRedirectUris}
        errors={errors?.postLogoutRedirectUris}
      />
      <Field
        label="Back-channel logout URI"
        name="backchannelLogoutUri"
        type="url"
        autoComplete="off"
        spellCheck={false}
        hint="Optional. Factor calls it when someone's session ends, so the app signs them out too: https, or http for localhost."
        defaultValue={values.backchannelLogoutUri}
        errors={errors?.backchannelLogoutUri}
      />
      <SelectField
        label="Who can use it"
        name="allowedRoles"
        options={audiences}
        defaultValue={values.allowedRoles}
        errors={errors?.allowedRoles}
      />
      <SelectField
        label="Proof required"
        name="proof"
        hint="What people must have signed in with to use the app. A passkey or security key cannot be relayed by a phishing site."
        options={Object.entries(PROOF_NAMES).map(([value, label]) => ({ value, label }))}
        defaultValue={values.proof}
        errors={errors?.proof}
      />
      <SelectField
        label="Ask people to consent"
        name="askConsent"
        hint="Whether Factor shows what the app will receive (name, email, role) and asks people to allow it. Its answer is remembered until they remove the app in My apps."
        options={CONSENT_CHOICES}
        defaultValue={values.askConsent}
        errors={errors?.askConsent}
      />
    </>
  );
}
