import { Field } from "@/components/forms/field";

/** Why an integration is changed: the reason every console action carries, and an optional ticket (R-A16.2). */
export function ReasonFields({
  values,
  errors,
}: {
  values?: Record<string, string>;
  errors?: Record<string, string[]>;
}) {
  return (
    <>
      <Field
        label="Reason"
        name="reason"
        required
        maxLength={500}
        autoComplete="off"
        defaultValue={values?.reason}
        errors={errors?.reason}
      />
      <Field
        label="Ticket ID (optional)"
        name="ticket"
        maxLength={64}
        autoComplete="off"
        defaultValue={values?.ticket}
        errors={errors?.ticket}
      />
    </>
  );
}
