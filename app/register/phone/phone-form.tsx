"use client";

import { useActionState } from "react";
import { BackButton } from "@/components/forms/back-button";
import { Field } from "@/components/forms/field";
import { SubmitButton } from "@/components/forms/submit-button";
import { Alert } from "@/components/ui/alert";
import { idle } from "@/lib/actions/form-action";
import { beginPhoneAction } from "./actions";

type PhoneFormProps = {
  kind: string;
  kindName: string;
  countries: { code: string; label: string }[];
  defaultCountry: string;
  textAllowed: boolean;
  replaces?: string;
};

/** "Phone": country code, number, and whether to get a code or a call. */
export function PhoneForm({
  kind,
  kindName,
  countries,
  defaultCountry,
  textAllowed,
  replaces,
}: PhoneFormProps) {
  const [state, formAction] = useActionState(beginPhoneAction, idle);
  const errors = state.status === "error" ? state.fieldErrors : undefined;
  const values = state.status === "error" ? state.values : undefined;
  const channelError = errors?.channel?.join(" ");
  return (
    <form action={formAction} className="space-y-5" noValidate>
      {state.status === "error" && state.message && <Alert kind="error">{state.message}</Alert>}
      <input type="hidden" name="kind" value={kind} />
      {replaces && <input type="hidden" name="replaces" value={replaces} />}
      <div className="grid gap-4 sm:grid-cols-2">
        <div className="space-y-1">
          <label htmlFor="field-country" className="block text-sm font-medium text-slate-800">
            Country code
          </label>
          <select
            id="field-country"
            name="country"
            defaultValue={values?.country || defaultCountry}
            autoComplete="tel-country-code"
            className="block w-full rounded-md border border-slate-400 px-3 py-2"
          >
            {countries.map((country) => (
              <option key={country.code} value={country.code}>
                {country.label}
              </option>
            ))}
          </select>
        </div>
        <Field
          label="Phone number"
          name="number"
          type="tel"
          autoComplete="tel-national"
          defaultValue={values?.number}
          maxLength={30}
          required
          errors={errors?.number}
          hint={`Your ${kindName.toLowerCase()} number`}
        />
      </div>
      {kind === "office_phone" && (
        <Field
          label="Extension (optional)"
          name="extension"
          inputMode="numeric"
          maxLength={10}
          errors={errors?.extension}
        />
      )}
      <fieldset className="space-y-2" aria-describedby={channelError ? "channel-error" : undefined}>
        <legend className="text-sm font-medium text-slate-800">How should we check it?</legend>
        {textAllowed && (
          <div className="flex items-center gap-2">
            <input
              id="channel-sms"
              type="radio"
              name="channel"
              value="sms"
              defaultChecked
              className="h-5 w-5"
            />
            <label htmlFor="channel-sms">Receive a code</label>
          </div>
        )}
        <div className="flex items-center gap-2">
          <input
            id="channel-voice"
            type="radio"
            name="channel"
            value="voice"
            defaultChecked={!textAllowed}
            className="h-5 w-5"
          />
          <label htmlFor="channel-voice">Call me</label>
        </div>
        {channelError && (
          <p id="channel-error" className="text-sm font-medium text-red-700">
            {channelError}
          </p>
        )}
      </fieldset>
      <div className="flex justify-between gap-4">
        <BackButton href="/register" />
        <SubmitButton pendingLabel="Sending…">Next</SubmitButton>
      </div>
    </form>
  );
}
