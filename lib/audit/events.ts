/** Every audit action Factor records. The sentence for each is below, so a missing one fails to compile. */
export const AUDIT_ACTIONS = [
  "auth.sign_in.succeeded",
  "auth.sign_in.failed",
  "auth.sign_in.locked_out",
  "auth.sign_out",
  "auth.session.revoked",
  "user.created",
  "auth.mfa.succeeded",
  "auth.mfa.failed",
  "auth.mfa.locked_out",
  "auth.mfa.replay",
  "auth.step_up.succeeded",
  "auth.sessions.revoked_all",
  "mfa.method.added",
  "mfa.method.removed",
  "mfa.default.changed",
  "mfa.recovery_codes.regenerated",
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
  "auth.mfa.succeeded": "Second factor verified",
  "auth.mfa.failed": "Second factor failed",
  "auth.mfa.locked_out": "Second factor paused after repeated failures",
  "auth.mfa.replay": "A used verification code was entered again",
  "auth.step_up.succeeded": "Identity verified again",
  "auth.sessions.revoked_all": "Signed out everywhere",
  "mfa.method.added": "Sign-in method added",
  "mfa.method.removed": "Sign-in method removed",
  "mfa.default.changed": "Default sign-in method changed",
  "mfa.recovery_codes.regenerated": "Recovery codes created",
};
