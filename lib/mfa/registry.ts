/**
 * The method framework. Each kind of method describes itself here; each sign-in option (what
 * "Sign in another way" lists) names the module that verifies it. Later kinds (phone, hardware
 * token, passkey, push) add an entry to each table and a module — the wizard, the sign-in step
 * and Security info read these tables and need no change.
 */

export const METHOD_KINDS = ["authenticator_app"] as const;
export type MethodKind = (typeof METHOD_KINDS)[number];

export type MethodView = {
  id: string;
  kind: MethodKind;
  label: string;
  isDefault: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
};

export type MethodKindInfo = {
  /** The kind as the methods list names it. */
  listName: string;
  /** What the chooser offers ("Which method would you like to add?"). */
  chooserName: string;
  /** The name people know from their guides, after "Default sign-in method:". */
  defaultName: (method: MethodView) => string;
  /** System-preferred order when no default is chosen: lower comes first. */
  preference: number;
  /** Restricted authenticators (SMS, voice) are never the default when a stronger one exists. */
  restricted: boolean;
  maxPerUser: number;
  /** The sign-in option that verifies this kind. */
  signInOption: SignInOptionId;
  /** Where the registration wizard starts for this kind. */
  registerPath: string;
};

export const METHOD_KIND_INFO: Record<MethodKind, MethodKindInfo> = {
  authenticator_app: {
    listName: "Authenticator app",
    chooserName: "Authenticator app",
    defaultName: () => "Authenticator app or hardware token - code",
    preference: 2,
    restricted: false,
    maxPerUser: 5,
    signInOption: "code",
    registerPath: "/register",
  },
};

export const SIGN_IN_OPTION_IDS = ["code", "recovery-code"] as const;
export type SignInOptionId = (typeof SIGN_IN_OPTION_IDS)[number];

export type SignInOptionInfo = {
  /** The button under "Verify your identity". */
  buttonLabel: string;
  /** The page's heading while this option is asked for. */
  heading: string;
  instructions: string;
  fieldLabel: string;
  /** RFC 8176 method reference recorded on the session. */
  amr: string;
  inputMode: "numeric" | "text";
};

export const SIGN_IN_OPTIONS: Record<SignInOptionId, SignInOptionInfo> = {
  code: {
    buttonLabel: "Use a verification code",
    heading: "Enter code",
    instructions: "Enter the code displayed in the authenticator app on your mobile device.",
    fieldLabel: "Code",
    amr: "otp",
    inputMode: "numeric",
  },
  "recovery-code": {
    buttonLabel: "Use a recovery code",
    heading: "Enter a recovery code",
    instructions: "Enter one of the recovery codes you saved. Each code works once.",
    fieldLabel: "Recovery code",
    amr: "rec",
    inputMode: "text",
  },
};

/** Picks the default: the chosen one, else the system-preferred order (passkey, push, code, call, text). */
export function effectiveDefault(methods: MethodView[]): MethodView | undefined {
  return (
    methods.find((m) => m.isDefault) ??
    [...methods].sort(
      (a, b) => METHOD_KIND_INFO[a.kind].preference - METHOD_KIND_INFO[b.kind].preference,
    )[0]
  );
}

export function isSignInOptionId(value: unknown): value is SignInOptionId {
  return typeof value === "string" && (SIGN_IN_OPTION_IDS as readonly string[]).includes(value);
}
