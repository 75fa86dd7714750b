// Ids arrive in forms, links and device calls. One that is not a well-formed UUID is refused
// here, before PostgreSQL would reject it with an error instead of "not found" (R-A17.6).
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` is a UUID in its usual written form. */
export function isUuid(value: unknown): value is string {
  return typeof value === "string" && UUID_PATTERN.test(value);
}
