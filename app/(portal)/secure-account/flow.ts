// The steps of "Secure your account", in order, and how their URLs are written. The URL names
// the step and the reported sign-in event only; what has been done is read from the database.

export const STEPS = ["password", "sign-out", "review", "report", "done"] as const;
export type Step = (typeof STEPS)[number];

export const STEP_TITLES: Record<Step, string> = {
  password: "Change your password",
  "sign-out": "Sign out everywhere",
  review: "Review your security info",
  report: "Tell us what happened",
  done: "Your account is secured",
};

export const HERE = "/secure-account";

/** A sign-in event id from the URL or a form, or null. */
export function parseEventId(value: unknown): number | null {
  if (typeof value !== "string" || !/^[1-9][0-9]{0,15}$/.test(value)) return null;
  const id = Number(value);
  return Number.isSafeInteger(id) ? id : null;
}

export function parseStep(value: unknown): Step {
  return STEPS.includes(value as Step) ? (value as Step) : "password";
}

/** The URL of a step, carrying the reported event. */
export function stepPath(step: Step, eventId: number | null, extra: Record<string, string> = {}) {
  const query = new URLSearchParams();
  if (step !== "password") query.set("step", step);
  if (eventId !== null) query.set("event", String(eventId));
  for (const [key, value] of Object.entries(extra)) query.set(key, value);
  const text = query.toString();
  return text ? `${HERE}?${text}` : HERE;
}
