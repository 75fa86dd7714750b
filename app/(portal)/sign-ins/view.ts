import "server-only";
import { describeLocation, lookupIpIn, type IpIntel } from "@/lib/activity/ip-intel";
import { RISK_REASON_TEXT } from "@/lib/activity/risk";
import {
  isRisky,
  SIGN_IN_FILTERS,
  type SignInEventItem,
  type SignInEventReason,
  type SignInFilter,
} from "@/lib/activity/sign-in-events";
import { describeDevice, type DeviceInfo } from "@/lib/activity/user-agent";

/**
 * One sign-in as the page shows it: words only, so the client island needs none of the IP or
 * user-agent code. Every string here is rendered as text, never as HTML (R-A14.3).
 */
export type SignInEventView = {
  id: string;
  /** ISO 8601, UTC. */
  at: string;
  outcome: "Successful sign-in" | "Unsuccessful sign-in" | "Unusual activity";
  status: string;
  app: string;
  location: string;
  isp: string;
  device: string;
  deviceType: string;
  ip: string;
  methods: string;
  riskReasons: string[];
  network: string | null;
  userAgent: string | null;
  verdict: "confirmed" | "reported" | null;
};

export type SignInPageView = { items: SignInEventView[]; nextCursor: string | null };

const STATUS: Record<SignInEventReason, string> = {
  signed_in: "Signed in.",
  registered: "Signed in after setting up a sign-in method.",
  registration_postponed:
    "Signed in with the password alone: setting up a sign-in method was postponed (“Ask me later”).",
  step_up: "Identity verified again for a security change.",
  single_sign_on: "Signed in to the app with a session already open (single sign-on).",
  wrong_password: "The password was wrong.",
  unknown_account: "No account has this email address.",
  account_disabled: "The account is disabled.",
  locked: "Refused after too many failed attempts.",
  mfa_failed: "The verification code was wrong.",
  replayed_code: "A verification code that had already been used was entered.",
  access_pass_refused: "The Temporary Access Pass was wrong, expired or already used.",
  not_allowed: "The password was right, but this account may not use the service.",
  directory_unavailable: "The password could not be checked: the directory did not answer.",
  directory_refused:
    "The password was right, but the directory did not let the account in (expired or disabled).",
  mfa_denied: "The sign-in request was denied on the phone.",
  mfa_timed_out: "The password was right, but the phone did not answer in time.",
  mfa_abandoned: "Interrupted: the password was right, but the second step was not completed.",
  registration_abandoned:
    "Interrupted: the password was right, but setting up a sign-in method was not finished.",
  not_finished: "Interrupted: every check passed, but the sign-in was not finished.",
};

const METHOD_NAMES: Record<string, string> = {
  pwd: "Password",
  tap: "Temporary Access Pass",
  otp: "Authenticator app or hardware token code",
  sms: "Text message code",
  tel: "Phone call",
  rec: "Recovery code",
  postponed: "Setting up a method postponed",
  remembered: "Remembered browser",
};

const DEVICE_TYPES: Record<NonNullable<DeviceInfo["deviceType"]>, string> = {
  desktop: "Computer",
  mobile: "Phone",
  tablet: "Tablet",
  other: "Other device",
};

// Only the private-address rule is wanted here, not the data: anything not private is public.
const NO_DATA = {
  lookup: (): IpIntel => ({
    ip: null,
    network: "public",
    countryCode: null,
    countryName: null,
    city: null,
    latitude: null,
    longitude: null,
    asn: null,
    isp: null,
    hosting: false,
  }),
};

function outcomeOf(item: SignInEventItem): SignInEventView["outcome"] {
  if (isRisky(item.riskLevel)) return "Unusual activity";
  return item.result === "success" ? "Successful sign-in" : "Unsuccessful sign-in";
}

/** The words for one event. */
export function toView(item: SignInEventItem): SignInEventView {
  const network = lookupIpIn(NO_DATA, item.ip).network;
  return {
    id: String(item.id),
    at: item.at.toISOString(),
    outcome: outcomeOf(item),
    status: STATUS[item.reason] ?? "Sign-in attempt.",
    app: item.app,
    location: describeLocation({ network, city: item.city, countryName: item.countryName }),
    isp: item.isp ?? (network === "private" ? "Private network" : "Unknown"),
    device: describeDevice({ browser: item.browser, os: item.os, deviceType: item.deviceType }),
    deviceType: item.deviceType ? DEVICE_TYPES[item.deviceType] : "Unknown",
    ip: item.ip ?? "Unknown",
    methods: item.methods.map((m) => METHOD_NAMES[m] ?? m).join(", ") || "None",
    riskReasons: item.riskReasons.map((reason) => RISK_REASON_TEXT[reason] ?? reason),
    network: item.asn === null ? null : `AS${item.asn}${item.isp ? ` (${item.isp})` : ""}`,
    userAgent: item.userAgent,
    verdict: item.verdict,
  };
}

/** The filter named in a query string, or "all". */
export function parseFilter(value: unknown): SignInFilter {
  return SIGN_IN_FILTERS.includes(value as SignInFilter) ? (value as SignInFilter) : "all";
}

/** A cursor from a query string: short and plain, or nothing. */
export function parseCursorParam(value: unknown): string | undefined {
  return typeof value === "string" && /^[0-9-]{3,40}$/.test(value) ? value : undefined;
}

/** Events per page. */
export const SIGN_INS_PER_PAGE = 20;
