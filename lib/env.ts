import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

/** An LDAP attribute name, such as sAMAccountName. */
const ldapAttribute = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9-]*$/, "must be an attribute name, such as uid or sAMAccountName");

/** Every setting Factor reads, parsed once. `.env.example` documents each one. */
const settingsObject = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  BIND_ADDRESS: z.string().min(1).default("127.0.0.1"),
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  DATA_DIR: z.string().min(1).default("./data"),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must start with postgres:// or postgresql://")
    .optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  SEED_DEMO: z.enum(["auto", "true", "false"]).default("auto"),
  ORG_NAME: z.string().trim().min(1).max(100).default("Example University"),
  ORG_COUNTRY: z
    .string()
    .regex(/^[A-Z]{2}$/, "must be a two-letter country code such as GB")
    .default("GB"),
  HELPDESK_EMAIL: z.email().default("helpdesk@example.edu"),
  // Where a vulnerability is reported (/.well-known/security.txt); HELPDESK_EMAIL when unset.
  SECURITY_CONTACT: z
    .string()
    .regex(
      /^(mailto:[^\s@]+@[^\s@]+|https:\/\/\S+|tel:\+?[\d().-]+|[^\s@:]+@[^\s@:]+)$/,
      "must be an email address, or a mailto:, https:// or tel: address",
    )
    .optional(),
  TRUSTED_PROXIES: z.string().default(""),
  AUTH_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  SEALING_KEYS: z
    .string()
    .regex(
      /^[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/]{43}=(,[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/]{43}=)*$/,
      "must be id:base64-of-32-bytes, comma-separated, current key first",
    )
    .optional(),
  SESSION_IDLE_MINUTES: z.coerce
    .number()
    .min(0.1)
    .max(24 * 60)
    .default(30),
  SESSION_ABSOLUTE_HOURS: z.coerce
    .number()
    .min(0.01)
    .max(24 * 30)
    .default(12),
  PERSISTENT_SESSION_IDLE_DAYS: z.coerce.number().min(0.01).max(90).default(7),
  PERSISTENT_SESSION_ABSOLUTE_DAYS: z.coerce.number().min(0.01).max(365).default(90),
  REMEMBER_MFA_DAYS: z.coerce.number().int().min(0).max(90).default(14),
  STEP_UP_MAX_AGE_MINUTES: z.coerce.number().min(0.1).max(60).default(10),
  SIGN_IN_TRANSACTION_MINUTES: z.coerce.number().min(0.1).max(10).default(10),
  PASSWORD_LOCKOUT_THRESHOLD: z.coerce.number().int().min(3).max(100).default(10),
  PASSWORD_LOCKOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  IP_FAILURE_THRESHOLD: z.coerce.number().int().min(10).max(10_000).default(100),
  MFA_PAUSE_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  MFA_LOCK_SECONDS: z.coerce.number().int().min(1).max(3600).default(900),

  // Phone methods (R-A5)
  SMS_CODE_TTL_SECONDS: z.coerce.number().int().min(10).max(600).default(300),
  CALL_ANSWER_SECONDS: z.coerce.number().int().min(5).max(300).default(60),
  PHONE_SEND_INTERVAL_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
  PHONE_SENDS_PER_HOUR: z.coerce.number().int().min(1).max(100).default(5),
  PHONE_SENDS_PER_DAY: z.coerce.number().int().min(1).max(1000).default(10),
  PHONE_DAILY_BUDGET: z.coerce.number().int().min(1).max(10_000_000).default(5000),
  PHONE_ALLOWED_COUNTRIES: z
    .string()
    .regex(/^([A-Z]{2}(,[A-Z]{2})*)?$/, "must be two-letter country codes, comma-separated")
    .default(""),

  // The companion authenticator (R-A6): push request lifetime, and Web Push when VAPID keys are
  // set (public: the uncompressed P-256 point, private: the 32-byte scalar, both base64url).
  PUSH_REQUEST_TTL_SECONDS: z.coerce.number().int().min(5).max(600).default(120),
  VAPID_PUBLIC_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{87}$/, "must be a base64url P-256 public key")
    .optional(),
  VAPID_PRIVATE_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/, "must be a base64url P-256 private key")
    .optional(),
  VAPID_SUBJECT: z
    .string()
    .regex(/^(mailto:|https:\/\/)/, "must start with mailto: or https://")
    .optional(),

  // RADIUS (docs/radius.md): off unless a port is set; how long a push holds a request.
  RADIUS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  RADIUS_PUSH_TIMEOUT_SECONDS: z.coerce.number().int().min(5).max(120).default(60),

  // The organisation's directory (docs/directory.md): off unless LDAP_URL is set. ldap:// uses
  // StartTLS unless LDAP_ALLOW_PLAIN says the password may cross the network in the clear.
  LDAP_URL: z
    .string()
    .regex(/^ldaps?:\/\/[^\s/]+\/?$/, "must be ldaps://host[:port] or ldap://host[:port]")
    .optional(),
  LDAP_ALLOW_PLAIN: z
    .enum(["true", "false"], "must be true or false")
    .default("false")
    .transform((value) => value === "true"),
  LDAP_CA_FILE: z.string().min(1).optional(),
  LDAP_BIND_DN: z.string().min(3).optional(),
  LDAP_BIND_PASSWORD: z.string().min(1).optional(),
  LDAP_BASE_DN: z.string().min(3).optional(),
  LDAP_PEOPLE_FILTER: z
    .string()
    .regex(/^\(.*\)$/, "must be an LDAP filter in parentheses, such as (objectClass=person)")
    .default("(objectClass=inetOrgPerson)"),
  LDAP_LOGIN_ATTRIBUTE: ldapAttribute.default("uid"),
  LDAP_EMAIL_ATTRIBUTE: ldapAttribute.default("mail"),
  LDAP_GIVEN_NAME_ATTRIBUTE: ldapAttribute.default("givenName"),
  LDAP_SURNAME_ATTRIBUTE: ldapAttribute.default("sn"),
  LDAP_DISPLAY_NAME_ATTRIBUTE: ldapAttribute.default("displayName"),
  LDAP_ID_ATTRIBUTE: ldapAttribute.default("entryUUID"),
  LDAP_HELPDESK_GROUP: z.string().min(3).optional(),
  LDAP_ADMIN_GROUP: z.string().min(3).optional(),
  LDAP_TIMEOUT_SECONDS: z.coerce.number().min(0.5).max(60).default(5),
  // How a new password is written: Password Modify (OpenLDAP and most others) or unicodePwd
  // (Active Directory). Unset: Active Directory when the stable id is objectGUID.
  // Minutes between background syncs of the directory's people (0: only from the console).
  LDAP_SYNC_INTERVAL_MINUTES: z.coerce.number().int().min(0).max(10_080).default(60),
  LDAP_DIRECTORY_KIND: z
    .enum(["openldap", "active_directory"], "must be openldap or active_directory")
    .optional(),

  // Messages (lib/notify). Unset: every message stays in the outbox shown at /dev/outbox.
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, "must start with smtp:// or smtps://")
    .optional(),
  SMTP_FROM: z.string().min(3).optional(),
  SMS_GATEWAY_URL: z.url({ protocol: /^https?$/ }).optional(),
  SMS_GATEWAY_ACCOUNT_SID: z.string().min(1).optional(),
  SMS_GATEWAY_AUTH_TOKEN: z.string().min(1).optional(),
  SMS_GATEWAY_FROM: z.string().min(1).optional(),

  // Activity (R-A14)
  SIGN_IN_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  GEOIP_CITY_PATH: z.string().min(1).optional(),
  GEOIP_COUNTRY_PATH: z.string().min(1).optional(),
  GEOIP_ASN_PATH: z.string().min(1).optional(),
  HOSTING_ASNS_PATH: z.string().min(1).optional(),
});

/** The settings, and what a directory needs once LDAP_URL is set. */
const settingsSchema = settingsObject.superRefine((settings, context) => {
  // A directory needs somewhere to look and someone to look as; without LDAP_URL all is off.
  if (!settings.LDAP_URL) return;
  for (const name of ["LDAP_BIND_DN", "LDAP_BIND_PASSWORD", "LDAP_BASE_DN"] as const) {
    if (!settings[name])
      context.addIssue({ code: "custom", path: [name], message: "must be set when LDAP_URL is" });
  }
});

export type Settings = z.infer<typeof settingsSchema>;

export type SealingKey = { id: string; key: Buffer };

export type Env = Omit<Settings, "SEALING_KEYS" | "AUTH_SECRET" | "PUBLIC_URL"> & {
  PUBLIC_URL: string;
  dataDir: string;
  embedded: boolean;
};

export type Secrets = {
  /** Encrypts the session cookie and keys fingerprints. */
  authSecret: string;
  /** Current key first; older keys only unseal. */
  sealingKeys: SealingKey[];
};

export class ConfigError extends Error {}

/** Turns zod issues into lines an operator can act on. */
export function describeConfigErrors(error: z.ZodError): string {
  const lines = error.issues.map(
    (issue) => `  ${issue.path.join(".") || "(settings)"}: ${issue.message}`,
  );
  return `Factor cannot start: some settings are invalid.\n${lines.join("\n")}\nSee .env.example for every setting.`;
}

/** Parses settings from a plain record; throws ConfigError with readable lines. */
export function parseSettings(source: Record<string, string | undefined>): Settings {
  const present = Object.fromEntries(
    Object.entries(source).filter(([, value]) => value !== undefined && value !== ""),
  );
  const result = settingsSchema.safeParse(present);
  if (!result.success) throw new ConfigError(describeConfigErrors(result.error));
  return result.data;
}

type GeneratedSecrets = { authSecret: string; sealingKeys: { id: string; key: string }[] };

/**
 * Secrets the operator did not set are generated once into the data folder (mode 0600) and
 * reused, so `npm start` needs no configuration and sessions survive restarts.
 */
export function loadGeneratedSecrets(dataDir: string): GeneratedSecrets {
  const file = path.join(dataDir, "secrets.json");
  if (existsSync(file)) {
    return JSON.parse(readFileSync(file, "utf8")) as GeneratedSecrets;
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secrets: GeneratedSecrets = {
    authSecret: randomBytes(32).toString("base64url"),
    sealingKeys: [{ id: "k1", key: randomBytes(32).toString("base64") }],
  };
  try {
    writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600, flag: "wx" });
  } catch (error) {
    // Another process created it first: use theirs so both agree.
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      return JSON.parse(readFileSync(file, "utf8")) as GeneratedSecrets;
    }
    throw error;
  }
  chmodSync(file, 0o600);
  return secrets;
}

function parseSealingKeys(value: string): SealingKey[] {
  return value.split(",").map((entry) => {
    const [id, key] = entry.split(":") as [string, string];
    return { id, key: Buffer.from(key, "base64") };
  });
}

/** Builds the environment from settings; secrets are separate (see `secretsFor`). */
export function buildEnv(source: Record<string, string | undefined>): Env {
  const { AUTH_SECRET: _secret, SEALING_KEYS: _keys, ...settings } = parseSettings(source);
  return {
    ...settings,
    PUBLIC_URL: (settings.PUBLIC_URL ?? `http://localhost:${settings.PORT}`).replace(/\/$/, ""),
    dataDir: path.resolve(/* turbopackIgnore: true */ process.cwd(), settings.DATA_DIR),
    embedded: !settings.DATABASE_URL,
  };
}

/** The secrets: the operator's, or ones generated once into the data folder. */
export function secretsFor(source: Record<string, string | undefined>): Secrets {
  const settings = parseSettings(source);
  const dataDir = path.resolve(/* turbopackIgnore: true */ process.cwd(), settings.DATA_DIR);
  const generated =
    !settings.AUTH_SECRET || !settings.SEALING_KEYS ? loadGeneratedSecrets(dataDir) : undefined;
  return {
    authSecret: settings.AUTH_SECRET ?? generated!.authSecret,
    sealingKeys: settings.SEALING_KEYS
      ? parseSealingKeys(settings.SEALING_KEYS)
      : generated!.sealingKeys.map(({ id, key }) => ({ id, key: Buffer.from(key, "base64") })),
  };
}

const cache = globalThis as unknown as { __factorEnv?: Env; __factorSecrets?: Secrets };

/** The process-wide environment, parsed on first use. */
export function getEnv(): Env {
  cache.__factorEnv ??= buildEnv(process.env);
  return cache.__factorEnv;
}

/** The process-wide secrets, loaded (or generated) on first use — at request time, never at build. */
export function getSecrets(): Secrets {
  cache.__factorSecrets ??= secretsFor(process.env);
  return cache.__factorSecrets;
}
