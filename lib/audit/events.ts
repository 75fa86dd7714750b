/** Every audit action Factor records. The sentence for each is below, so a missing one fails to compile. */
export const AUDIT_ACTIONS = [
  "auth.sign_in.succeeded",
  "auth.sign_in.failed",
  "auth.sign_in.locked_out",
  "auth.sign_out",
  "auth.session.revoked",
  "user.created",
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Plain-language descriptions, for the audit views and exports. */
export const AUDIT_SENTENCES: Record<AuditAction, string> = {
  "auth.sign_in.succeeded": "Signed in",
  "auth.sign_in.failed": "Sign-in failed",
  "auth.sign_in.locked_out": "Sign-in locked after repeated failures",
  "auth.sign_out": "Signed out",
  "auth.session.revoked": "Session revoked",
  "user.created": "Account created",
};
