import { SecretField } from "./secret-field";

/** An app PIN input. */
export function PinField(props: {
  id: string;
  label: string;
  value: string;
  error: string | null;
  onChange: (value: string) => void;
}) {
  // Never "current-password"/"new-password": this origin is the portal's, and a password
  // manager would fill the portal password into a PIN field or save a PIN as the password.
  return <SecretField {...props} autoComplete="off" pin />;
}
