import { randomBytes } from "node:crypto";
import { and, asc, eq, isNotNull, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { writeAudit } from "@/lib/audit/log";
import type { AuditAction } from "@/lib/audit/events";
import { ROLES, type Role } from "@/lib/auth/users";
import type { Db, Executor } from "@/lib/db/client";
import { apps } from "@/lib/db/schema";
import { hashClientSecret } from "@/lib/apps/registry";
import { isUuid } from "@/lib/security/ids";
import type { RequestContext } from "@/lib/types/request";
import type { Result } from "@/lib/types/result";
import type { Agent, AgentReasonInput } from "./agent-rules";

// The administrators' side of the OpenID Connect applications: add, change, rotate the secret,
// disable, enable and delete — each with its reason, audited in the transaction that makes the
// change (R-A16.2). The provider reads the same rows through lib/apps/registry.ts. A web app's secret
// is 256 random bits, returned once to the caller and stored only as its hash (R-A19.4); redirect
// URIs are checked here so the provider can match them exactly (R-A19.1).

export const APP_KINDS = ["web", "public"] as const;
export type AppKind = (typeof APP_KINDS)[number];

export const APP_PROOFS = ["mfa", "phishing_resistant"] as const;
export type AppProof = (typeof APP_PROOFS)[number];

export const APP_NAME_MAX_LENGTH = 100;
/** Redirect URIs, and post-logout redirect URIs, one app may register. */
export const APP_URIS_MAX = 10;
const URI_MAX_LENGTH = 2000;
/** 192 bits: unguessable, and short enough to paste. */
const CLIENT_ID_BYTES = 24;
/** 256 bits (R-A19.4). */
const CLIENT_SECRET_BYTES = 32;

/** The hosts plain http is allowed for: a native app's loopback redirect (RFC 8252 §7.3). */
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);
/** A private-use scheme, named after a domain the app's owner holds (RFC 8252 §7.1). */
const CUSTOM_SCHEME = /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+:$/i;
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** What an administrator sends to add or change an app, as typed: nothing trusted yet. */
export type AppInput = {
  name: unknown;
  /** Only read when adding: an app's kind never changes. */
  kind?: unknown;
  redirectUris: unknown;
  postLogoutRedirectUris: unknown;
  backchannelLogoutUri: unknown;
  /** null: everyone. */
  allowedRoles: unknown;
  proof: unknown;
  /** Whether people are asked to allow the app the first time they use it. */
  askConsent: unknown;
};

export type AppField = keyof AppInput;
export type AppFieldErrors = Partial<Record<AppField, string[]>>;

/** An app's settings once checked. */
export type AppSettings = {
  name: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  backchannelLogoutUri: string | null;
  allowedRoles: Role[] | null;
  proof: AppProof;
  askConsent: boolean;
};

/** An app as the console shows it: never its secret's hash. */
export type AppView = AppSettings & {
  id: string;
  clientId: string;
  kind: AppKind;
  disabled: boolean;
  createdAt: Date;
  updatedAt: Date;
};

export type AppChangeResult<Success extends object = object> = Result<
  Success,
  "invalid" | "missing" | "not_allowed" | "unchanged",
  { message: string; fieldErrors?: AppFieldErrors }
>;

const viewColumns = {
  id: apps.id,
  clientId: apps.clientId,
  name: apps.name,
  kind: apps.kind,
  redirectUris: apps.redirectUris,
  postLogoutRedirectUris: apps.postLogoutRedirectUris,
  backchannelLogoutUri: apps.backchannelLogoutUri,
  allowedRoles: apps.allowedRoles,
  proof: apps.proof,
  askConsent: apps.askConsent,
  disabledAt: apps.disabledAt,
  createdAt: apps.createdAt,
  updatedAt: apps.updatedAt,
};

type ViewRow = Omit<typeof apps.$inferSelect, "secretHash">;

function toView({ disabledAt, ...row }: ViewRow): AppView {
  return { ...row, disabled: disabledAt !== null };
}

/** Every app, by name. */
export async function listApps(db: Executor): Promise<AppView[]> {
  const rows = await db.select(viewColumns).from(apps).orderBy(asc(apps.name), asc(apps.id));
  return rows.map(toView);
}

/** One app by its id, or null (also for an id that is not a UUID). */
export async function getApp(db: Executor, appId: string): Promise<AppView | null> {
  if (!isUuid(appId)) return null;
  const [row] = await db.select(viewColumns).from(apps).where(eq(apps.id, appId));
  return row ? toView(row) : null;
}

/** Why a URI cannot be registered, or null when it can. */
function uriProblem(uri: string, customSchemeAllowed: boolean): string | null {
  if (uri.length > URI_MAX_LENGTH) return `must be at most ${URI_MAX_LENGTH} characters`;
  if (/\s/.test(uri) || CONTROL_CHARACTERS.test(uri)) return "must not contain spaces";
  // The provider compares redirect URIs exactly (R-A19.1): a pattern would match what an attacker
  // registers next to it.
  if (uri.includes("*")) return "must not contain a wildcard (*): list each address in full";
  if (uri.includes("#")) return "must not contain a fragment (#…)";
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return "is not a full address: start it with https://";
  }
  if (url.username || url.password) return "must not contain a user name or password";
  if (url.protocol === "https:") return url.hostname ? null : "needs a host name";
  const httpsOnly = "must use https (http only for localhost, 127.0.0.1 or [::1])";
  if (url.protocol === "http:") return LOOPBACK_HOSTS.has(url.hostname) ? null : httpsOnly;
  if (customSchemeAllowed) {
    return CUSTOM_SCHEME.test(url.protocol)
      ? null
      : "must use https, http for localhost, or the app's own scheme named after its domain, such as com.example.app:/callback";
  }
  return httpsOnly;
}

/** A shortened copy of what was typed, for an error message. */
function quoted(uri: string): string {
  return uri.length > 80 ? `${uri.slice(0, 77)}…` : uri;
}

function uriListSchema(label: string, min: number, customSchemeAllowed: boolean) {
  return z
    .array(z.string(), { error: `Enter the ${label}, one a line.` })
    .transform((uris) => [...new Set(uris.map((uri) => uri.trim()).filter(Boolean))])
    .superRefine((uris, ctx) => {
      if (uris.length < min)
        ctx.addIssue({ code: "custom", message: `Enter at least one ${label.replace(/s$/, "")}.` });
      if (uris.length > APP_URIS_MAX)
        ctx.addIssue({ code: "custom", message: `Enter at most ${APP_URIS_MAX} ${label}.` });
      for (const uri of uris) {
        const problem = uriProblem(uri, customSchemeAllowed);
        if (problem) ctx.addIssue({ code: "custom", message: `${quoted(uri)} ${problem}.` });
      }
    });
}

function settingsSchema(kind: AppKind) {
  const customSchemeAllowed = kind === "public";
  return z.object({
    name: z
      .string({ error: "Enter a name." })
      .trim()
      .min(1, "Enter a name.")
      .max(APP_NAME_MAX_LENGTH, `Keep the name to ${APP_NAME_MAX_LENGTH} characters or fewer.`)
      .refine((v) => !CONTROL_CHARACTERS.test(v), "Use plain text only."),
    redirectUris: uriListSchema("redirect URIs", 1, customSchemeAllowed),
    postLogoutRedirectUris: uriListSchema("post-logout redirect URIs", 0, customSchemeAllowed),
    backchannelLogoutUri: z
      .string({ error: "Enter the back-channel logout URI, or leave it empty." })
      .trim()
      .transform((v) => v || null)
      .superRefine((uri, ctx) => {
        const problem = uri ? uriProblem(uri, false) : null;
        if (problem && uri) ctx.addIssue({ code: "custom", message: `${quoted(uri)} ${problem}.` });
      }),
    allowedRoles: z
      .array(z.enum(ROLES, { error: "Choose who can use the app." }), {
        error: "Choose who can use the app.",
      })
      .min(1, "Choose who can use the app.")
      .transform((roles) => ROLES.filter((role) => roles.includes(role)))
      .nullable(),
    proof: z.enum(APP_PROOFS, { error: "Choose the proof the app requires." }),
    askConsent: z.boolean({ error: "Choose whether people are asked to allow the app." }),
  });
}

const kindSchema = z.enum(APP_KINDS, { error: "Choose the kind of app." });

/**
 * Checks an app's settings for an app of `kind` (a custom redirect scheme only for single-page
 * and mobile apps): the settings, or every problem keyed by field.
 */
export function checkAppSettings(
  input: AppInput,
  kind: AppKind,
): Result<{ settings: AppSettings }, "invalid", { fieldErrors: AppFieldErrors }> {
  const parsed = settingsSchema(kind).safeParse(input);
  if (parsed.success) return { ok: true, settings: parsed.data };
  const fieldErrors: AppFieldErrors = {};
  for (const issue of parsed.error.issues) {
    const field = String(issue.path[0] ?? "name") as AppField;
    (fieldErrors[field] ??= []).push(issue.message);
  }
  return { ok: false, reason: "invalid", fieldErrors };
}

/** Checks a new app: its kind, then its settings as for that kind. */
export function checkNewApp(
  input: AppInput,
): Result<{ kind: AppKind; settings: AppSettings }, "invalid", { fieldErrors: AppFieldErrors }> {
  const kind = kindSchema.safeParse(input.kind);
  // An unknown kind is checked as a web app, the stricter one, so every other error shows too.
  const settings = checkAppSettings(input, kind.success ? kind.data : "web");
  if (kind.success && settings.ok)
    return { ok: true, kind: kind.data, settings: settings.settings };
  return {
    ok: false,
    reason: "invalid",
    fieldErrors: {
      ...(kind.success ? {} : { kind: kind.error.issues.map((issue) => issue.message) }),
      ...(settings.ok ? {} : settings.fieldErrors),
    },
  };
}

const INVALID = "Some fields need attention; nothing was saved.";
const MISSING = "That application does not exist.";
const ADMINS_ONLY = "Only an administrator can change applications.";

const invalid = (fieldErrors: AppFieldErrors) =>
  ({ ok: false, reason: "invalid", message: INVALID, fieldErrors }) as const;
const missing = { ok: false, reason: "missing", message: MISSING } as const;
const notAllowed = { ok: false, reason: "not_allowed", message: ADMINS_ONLY } as const;

/** The audit details that describe an app's settings: never its secret. */
function describeSettings(settings: AppSettings): Record<string, string | boolean | null> {
  return {
    name: settings.name,
    redirectUris: settings.redirectUris.join(" "),
    postLogoutRedirectUris: settings.postLogoutRedirectUris.join(" "),
    backchannelLogoutUri: settings.backchannelLogoutUri,
    allowedRoles: settings.allowedRoles ? settings.allowedRoles.join(" ") : "everyone",
    proof: settings.proof,
    askConsent: settings.askConsent,
  };
}

async function record(
  tx: Executor,
  action: AuditAction,
  agent: Agent,
  app: { id: string; clientId: string; name: string },
  why: AgentReasonInput,
  context: RequestContext,
  details: Record<string, string | number | boolean | null> = {},
): Promise<void> {
  await writeAudit(tx, {
    action,
    outcome: "success",
    actorId: agent.id,
    // The subject column names people; the app is named in the details.
    subjectId: null,
    ip: context.ip,
    userAgent: context.userAgent,
    details: {
      app: app.name,
      appId: app.id,
      clientId: app.clientId,
      ...details,
      reason: why.reason,
      ticket: why.ticket ?? null,
      actorRole: agent.role,
    },
  });
}

/** A new client secret, to show once and keep only as its hash (R-A19.4). */
function newClientSecret(): string {
  return randomBytes(CLIENT_SECRET_BYTES).toString("base64url");
}

/**
 * Adds an app, audited in the same transaction. A web app's secret is returned here once and
 * stored only as its hash: the caller shows it and keeps it nowhere (R-A19.4).
 */
export async function createApp(
  db: Db,
  agent: Agent,
  input: AppInput,
  why: AgentReasonInput,
  context: RequestContext,
): Promise<AppChangeResult<{ app: AppView; secret: string | null }>> {
  if (agent.role !== "admin") return notAllowed;
  const checked = checkNewApp(input);
  if (!checked.ok) return invalid(checked.fieldErrors);
  const { kind, settings } = checked;
  const secret = kind === "web" ? newClientSecret() : null;
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(apps)
      .values({
        clientId: randomBytes(CLIENT_ID_BYTES).toString("base64url"),
        kind,
        secretHash: secret === null ? null : hashClientSecret(secret),
        ...settings,
      })
      .returning(viewColumns);
    const app = toView(row!);
    await record(tx, "admin.app.created", agent, app, why, context, {
      kind,
      ...describeSettings(settings),
    });
    return { ok: true as const, app, secret };
  });
}

const SETTING_FIELDS = [
  "name",
  "redirectUris",
  "postLogoutRedirectUris",
  "backchannelLogoutUri",
  "allowedRoles",
  "proof",
  "askConsent",
] as const satisfies readonly (keyof AppSettings)[];

/**
 * Changes an app's name, URIs, who may use it and the proof it requires (never its kind),
 * audited with each changed field's old and new value. Nothing changed: nothing is written.
 */
export async function updateApp(
  db: Db,
  agent: Agent,
  appId: string,
  input: AppInput,
  why: AgentReasonInput,
  context: RequestContext,
): Promise<AppChangeResult<{ changed: (keyof AppSettings)[] }>> {
  if (agent.role !== "admin") return notAllowed;
  const current = await getApp(db, appId);
  if (!current) return missing;
  // The kind never changes, so checking against the row read here holds inside the transaction.
  const checked = checkAppSettings(input, current.kind);
  if (!checked.ok) return invalid(checked.fieldErrors);
  const next = checked.settings;
  return db.transaction(async (tx) => {
    const [locked] = await tx
      .select(viewColumns)
      .from(apps)
      .where(eq(apps.id, appId))
      .for("update");
    if (!locked) return missing;
    const before = toView(locked);
    const changed = SETTING_FIELDS.filter(
      (field) => JSON.stringify(before[field]) !== JSON.stringify(next[field]),
    );
    if (changed.length === 0) return { ok: true as const, changed };
    await tx
      .update(apps)
      .set({ ...next, updatedAt: sql`now()` })
      .where(eq(apps.id, appId));
    const was = describeSettings(before);
    const now = describeSettings(next);
    await record(tx, "admin.app.updated", agent, { ...before, name: next.name }, why, context, {
      changed: changed.join(" "),
      ...Object.fromEntries(
        changed.flatMap((field) => [
          [`${field}Before`, was[field] ?? null],
          [field, now[field] ?? null],
        ]),
      ),
    });
    return { ok: true as const, changed };
  });
}

/**
 * Gives a web app a new secret, returned once; the old one stops working at the commit
 * (R-A19.4). Single-page and mobile apps have none.
 */
export async function rotateAppSecret(
  db: Db,
  agent: Agent,
  appId: string,
  why: AgentReasonInput,
  context: RequestContext,
): Promise<AppChangeResult<{ secret: string }>> {
  if (agent.role !== "admin") return notAllowed;
  if (!isUuid(appId)) return missing;
  const secret = newClientSecret();
  return db.transaction(async (tx) => {
    const [app] = await tx
      .select({ id: apps.id, clientId: apps.clientId, name: apps.name, kind: apps.kind })
      .from(apps)
      .where(eq(apps.id, appId))
      .for("update");
    if (!app) return missing;
    if (app.kind !== "web") {
      return {
        ok: false as const,
        reason: "not_allowed" as const,
        message: "A single-page or mobile app has no secret to rotate.",
      };
    }
    await tx
      .update(apps)
      .set({ secretHash: hashClientSecret(secret), updatedAt: sql`now()` })
      .where(eq(apps.id, appId));
    await record(tx, "admin.app.secret_rotated", agent, app, why, context);
    return { ok: true as const, secret };
  });
}

/**
 * Disables an app (the provider then treats it as unknown: lib/apps/registry.ts) or enables it
 * again. Asking for the state it is already in is refused as "unchanged", and nothing is written.
 */
export async function setAppDisabled(
  db: Db,
  agent: Agent,
  appId: string,
  disabled: boolean,
  why: AgentReasonInput,
  context: RequestContext,
): Promise<AppChangeResult> {
  if (agent.role !== "admin") return notAllowed;
  if (!isUuid(appId)) return missing;
  return db.transaction(async (tx) => {
    // Conditional, so two administrators at once cannot both record the change.
    const [app] = await tx
      .update(apps)
      .set({ disabledAt: disabled ? sql`now()` : null, updatedAt: sql`now()` })
      .where(
        and(eq(apps.id, appId), disabled ? isNull(apps.disabledAt) : isNotNull(apps.disabledAt)),
      )
      .returning({ id: apps.id, clientId: apps.clientId, name: apps.name });
    if (!app) {
      const [exists] = await tx.select({ id: apps.id }).from(apps).where(eq(apps.id, appId));
      if (!exists) return missing;
      return {
        ok: false as const,
        reason: "unchanged" as const,
        message: `The application is already ${disabled ? "disabled" : "enabled"}.`,
      };
    }
    await record(
      tx,
      disabled ? "admin.app.disabled" : "admin.app.enabled",
      agent,
      app,
      why,
      context,
    );
    return { ok: true as const };
  });
}

/** Deletes an app for good, audited with its name and client ID. */
export async function deleteApp(
  db: Db,
  agent: Agent,
  appId: string,
  why: AgentReasonInput,
  context: RequestContext,
): Promise<AppChangeResult<{ name: string }>> {
  if (agent.role !== "admin") return notAllowed;
  if (!isUuid(appId)) return missing;
  return db.transaction(async (tx) => {
    const [app] = await tx
      .delete(apps)
      .where(eq(apps.id, appId))
      .returning({ id: apps.id, clientId: apps.clientId, name: apps.name, kind: apps.kind });
    if (!app) return missing;
    await record(tx, "admin.app.deleted", agent, app, why, context, { kind: app.kind });
    return { ok: true as const, name: app.name };
  });
}
