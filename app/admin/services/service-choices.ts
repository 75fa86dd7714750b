// The words the console uses for a service's settings, shared by its list, its page and its form.

/** The choices of "Password": a select's value is "yes" or "no". */
export const PASSWORD_CHOICES: readonly { value: "yes" | "no"; label: string }[] = [
  { value: "yes", label: "Required with every call" },
  { value: "no", label: "Not required: the service proves who the person is" },
];

/** Whether a service asks for the password, in words. */
export function describePassword(required: boolean): string {
  return required ? "Password and second factor" : "Second factor only";
}

/** A moment in the console's words: UTC to the minute, or "Never". */
export function describeMoment(at: Date | null): string {
  return at ? `${at.toISOString().replace("T", " ").slice(0, 16)} UTC` : "Never";
}
