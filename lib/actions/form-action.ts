/** The one result shape every form action returns. */
export type ActionState =
  | { status: "idle" }
  | {
      status: "error";
      message?: string;
      fieldErrors?: Record<string, string[]>;
      /** Safe values to put back in the form (never a password, code or secret). */
      values?: Record<string, string>;
    }
  | { status: "success"; message?: string };

export const idle: ActionState = { status: "idle" };

/** Field errors from a zod error, keyed by field name. */
export function fieldErrorsFrom(issues: { path: PropertyKey[]; message: string }[]) {
  const errors: Record<string, string[]> = {};
  for (const issue of issues) {
    const key = String(issue.path[0] ?? "form");
    (errors[key] ??= []).push(issue.message);
  }
  return errors;
}

/**
 * A form field as text: "" when it is missing, is a file, or there is no form at all (a request
 * not made by the page's form still meets the action's own checks, never an error).
 */
export function formText(formData: FormData | undefined, name: string): string {
  const value = formData instanceof FormData ? formData.get(name) : null;
  return typeof value === "string" ? value : "";
}
