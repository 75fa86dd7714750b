import { methodKindEnabled } from "@/lib/settings/policy";
import { phonesDeliverable } from "@/lib/notify/providers";

/**
 * The method framework. Each kind of method describes itself here; each sign-in option (what
 * "Sign in another way" lists) names how it is verified. Later kinds (hardware token, passkey,
 * push) add an entry to each table and a module — the wizard, the sign-in step and Security info
 * read these tables.
 */

export const METHOD_KINDS = [
  "authenticator_app",
  "mobile_phone",
  "alternate_phone",
  "office_phone",
  "hardware_token",
  "passkey",
  "companion_app",
] as const;
export type MethodKind = (typeof METHOD_KINDS)[number];

export const PHONE_KINDS = ["mobile_phone", "alternate_phone", "office_phone"] as const;
export type PhoneKind = (typeof PHONE_KINDS)[number];

export function isPhoneKind(kind: string): kind is PhoneKind {
  return (PHONE_KINDS as readonly string[]).includes(kind);
}

/** Public, kind-specific fields of a method (never a secret). */
export type MethodData = Record<string, string | number | boolean | null>;

export type MethodView = {
  id: string;
  kind: MethodKind;
  /** A device name, or a masked phone number. */
  label: string;
  isDefault: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
  data: MethodData | null;
};

export type Role = "user" | "helpdesk" | "admin";

export type MethodKindInfo = {
  /** The kind as the methods list names it. */
  listName: string;
  /** What the chooser offers ("Which method would you like to add?"). */
  chooserName: string;
  /** System-preferred order when no default is chosen: lower comes first. */
  preference: number;
  /** Restricted authenticators (SMS, voice) are never the default when a stronger one exists. */
  restricted: boolean;
  /** How many a person may have; code devices share one limit (see limitFor). */
  maxPerUser: number;
  /** What the limit counts, in the plural: "You already have 5 paired phones." */
  limitName: string;
  /** The sign-in options this kind offers, the preferred one first. */
  signInOptions: readonly SignInOptionId[];
  /** Where the registration wizard starts for this kind. */
  registerPath: string;
  /** Given out by the helpdesk (a hardware token): activated, never added by choice. */
  assignedOnly?: true;
};

/**
 * Code-generating devices — authenticator apps and hardware tokens — share one limit per person
 * (METHOD_KIND_INFO.authenticator_app.maxPerUser).
 */
export const CODE_DEVICE_KINDS = ["authenticator_app", "hardware_token"] as const;

export const METHOD_KIND_INFO: Record<MethodKind, MethodKindInfo> = {
  authenticator_app: {
    listName: "Authenticator app",
    chooserName: "Authenticator app",
    preference: 2,
    restricted: false,
    maxPerUser: 5,
    limitName: "authenticator apps",
    signInOptions: ["code"],
    registerPath: "/register",
  },
  mobile_phone: {
    listName: "Phone",
    chooserName: "Phone",
    preference: 4,
    restricted: true,
    maxPerUser: 1,
    limitName: "phones",
    signInOptions: ["sms", "voice"],
    registerPath: "/register/phone",
  },
  alternate_phone: {
    listName: "Alternate phone",
    chooserName: "Alternate phone",
    preference: 5,
    restricted: true,
    maxPerUser: 1,
    limitName: "alternate phones",
    signInOptions: ["sms", "voice"],
    registerPath: "/register/phone?type=alternate_phone",
  },
  office_phone: {
    listName: "Office phone",
    chooserName: "Office phone",
    preference: 6,
    restricted: true,
    maxPerUser: 1,
    limitName: "office phones",
    // An office line cannot receive texts.
    signInOptions: ["voice"],
    registerPath: "/register/phone?type=office_phone",
  },
  hardware_token: {
    listName: "Hardware token",
    chooserName: "Hardware token",
    preference: 3,
    restricted: false,
    maxPerUser: 5,
    limitName: "authenticator apps and hardware tokens",
    signInOptions: ["code"],
    registerPath: "/register/hardware-token",
    assignedOnly: true,
  },
  // A phone paired with the companion authenticator (/authenticator): number-matching push,
  // and the codes it shows (R-A6).
  companion_app: {
    listName: "Authenticator app",
    chooserName: "Authenticator app (notifications)",
    preference: 1,
    restricted: false,
    maxPerUser: 5,
    limitName: "paired phones",
    signInOptions: ["push", "code"],
    registerPath: "/register/companion",
  },
  // A passkey with user verification is phishing-resistant and multi-factor: the strongest.
  passkey: {
    listName: "Passkey",
    chooserName: "Passkey",
    preference: 0,
    restricted: false,
    maxPerUser: 10,
    limitName: "passkeys",
    signInOptions: ["passkey"],
    registerPath: "/register/passkey",
  },
};

/** How many of a kind a person may have: code devices count together (CODE_DEVICE_KINDS). */
export function limitFor(kind: MethodKind): number {
  const counted = (CODE_DEVICE_KINDS as readonly string[]).includes(kind)
    ? "authenticator_app"
    : kind;
  return METHOD_KIND_INFO[counted].maxPerUser;
}

/**
 * The answer to someone who already has as many of a kind as they may. The number and the words
 * come from this table, so a changed limit changes the sentence too.
 */
export function limitReachedMessage(kind: MethodKind): string {
  const info = METHOD_KIND_INFO[kind];
  const limit = limitFor(kind);
  if (limit === 1) {
    const name = info.listName.toLowerCase();
    return `You already have ${/^[aeiou]/.test(name) ? "an" : "a"} ${name}. Change it in Security info instead.`;
  }
  // A token is activated, not added by choice: "before adding another" would not fit.
  const then = info.assignedOnly ? "first" : "before adding another";
  return `You already have ${limit} ${info.limitName}. Delete one in Security info ${then}.`;
}

/** Restricted kinds (text, call) are not for helpdesk and admin accounts (R-A5.6). */
export function kindAllowedFor(kind: MethodKind, role: Role): boolean {
  return role === "user" || !METHOD_KIND_INFO[kind].restricted;
}

/**
 * Whether a person may register a kind now: allowed for their role and enabled by the
 * organisation's settings. A kind switched off later keeps working for those who have it, so
 * switching one off never leaves someone signing in with a password alone.
 */
export function kindOffered(kind: MethodKind, role: Role): boolean {
  return (
    !METHOD_KIND_INFO[kind].assignedOnly &&
    kindAllowedFor(kind, role) &&
    methodKindEnabled(kind) &&
    (!isPhoneKind(kind) || phonesDeliverable())
  );
}

export const SIGN_IN_OPTION_IDS = [
  "code",
  "sms",
  "voice",
  "recovery-code",
  "passkey",
  "push",
] as const;
export type SignInOptionId = (typeof SIGN_IN_OPTION_IDS)[number];

export type SignInOptionInfo = {
  /** The page's heading while this option is asked for. */
  heading: string;
  /** RFC 8176 method reference recorded on the session. */
  amr: string;
  /** Options tied to one method (a phone) carry its id in the choice. */
  perMethod: boolean;
};

export const SIGN_IN_OPTIONS: Record<SignInOptionId, SignInOptionInfo> = {
  code: { heading: "Enter code", amr: "otp", perMethod: false },
  sms: { heading: "Enter code", amr: "sms", perMethod: true },
  voice: { heading: "Approve sign in request", amr: "tel", perMethod: true },
  "recovery-code": { heading: "Enter a recovery code", amr: "rec", perMethod: false },
  passkey: { heading: "Verify with a passkey", amr: "hwk", perMethod: false },
  // A push goes to every paired phone; approving proves the device key (RFC 8176 "swk").
  push: { heading: "Approve sign in request", amr: "swk", perMethod: false },
};

/** One way to pass the second step: an option, and the method it uses when it is per-method. */
export type SignInChoice = { option: SignInOptionId; methodId: string | null };

/** The phone number of a phone method, as stored (E.164). */
export function phoneNumberOf(method: Pick<MethodView, "data">): string {
  const e164 = method.data?.e164;
  return typeof e164 === "string" ? e164 : "";
}

/** The option a method is used with by default: a phone's chosen channel, else its first. */
export function preferredOption(method: Pick<MethodView, "kind" | "data">): SignInOptionId {
  const options = METHOD_KIND_INFO[method.kind].signInOptions;
  const channel = method.data?.channel;
  return options.includes(channel as SignInOptionId) ? (channel as SignInOptionId) : options[0]!;
}

/**
 * A method's own name — a device name, a passkey's name, a masked number — or null when it has
 * none: a device left unnamed is stored under its kind's name, which must not be said twice.
 */
export function methodDetail(method: Pick<MethodView, "kind" | "label">): string | null {
  const label = method.label.trim();
  return label === "" || label === METHOD_KIND_INFO[method.kind]?.listName ? null : label;
}

/** What a list calls a method: its kind, then its own name when it has one. */
export function methodName(method: Pick<MethodView, "kind" | "label">): string {
  const kind = METHOD_KIND_INFO[method.kind]?.listName ?? method.kind;
  const detail = methodDetail(method);
  return detail ? `${kind} ${detail}` : kind;
}

/** The name people know from their guides, after "Default sign-in method:". */
export function defaultMethodName(method: MethodView, option = preferredOption(method)): string {
  if (isPhoneKind(method.kind)) {
    return `${METHOD_KIND_INFO[method.kind].listName} - ${option === "voice" ? "call" : "text"} ${method.label}`;
  }
  if (method.kind === "passkey") return "Passkey";
  if (option === "push") return "Authenticator app - notification";
  return "Authenticator app or hardware token - code";
}

/** A method as a chooser offers it: the guide's name, and its own name where that adds one. */
export function methodChoiceName(method: MethodView, option = preferredOption(method)): string {
  const name = defaultMethodName(method, option);
  // A phone's guide name already carries its number.
  const detail = isPhoneKind(method.kind) ? null : methodDetail(method);
  return detail ? `${name} (${detail})` : name;
}

/**
 * Picks the default: the chosen one, unless it is restricted and a stronger method exists
 * (R-A5.6); else the system-preferred order (passkey, push, code, call, text).
 */
export function effectiveDefault(methods: MethodView[]): MethodView | undefined {
  const strong = methods.filter((m) => !METHOD_KIND_INFO[m.kind].restricted);
  const chosen = methods.find((m) => m.isDefault);
  if (chosen && (strong.length === 0 || !METHOD_KIND_INFO[chosen.kind].restricted)) return chosen;
  return [...(strong.length > 0 ? strong : methods)].sort(
    (a, b) => METHOD_KIND_INFO[a.kind].preference - METHOD_KIND_INFO[b.kind].preference,
  )[0];
}

export function isSignInOptionId(value: unknown): value is SignInOptionId {
  return typeof value === "string" && (SIGN_IN_OPTION_IDS as readonly string[]).includes(value);
}
