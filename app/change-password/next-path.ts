import { AFTER_SIGN_IN_PATH } from "@/lib/settings/policy";
import { safeRedirectPath } from "@/lib/security/redirect";

/** Where to go once the password is updated: a local path, never this page again. */
export function nextPath(value: unknown): string {
  const path = safeRedirectPath(value, AFTER_SIGN_IN_PATH);
  return path.startsWith("/change-password") ? AFTER_SIGN_IN_PATH : path;
}
