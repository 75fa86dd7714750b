import { randomBytes } from "node:crypto";
import { and, asc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { Role } from "@/lib/auth/users";
import type { Db, Executor } from "@/lib/db/client";
import { apps } from "@/lib/db/schema";
import { hashClientSecret } from "@/lib/apps/registry";
import { isUuid } from "@/lib/security/ids";
import type { RequestContext } from "@/lib/types/request";
import type { Result } from "@/lib/types/result";
import type { Agent, AgentReasonInput } from "./agent-rules";
import {
  audienceSchema,
  disabledChange,
  fieldErrorsOf,
  integrationNameSchema,
  integrationRules,
  invalid,
  notYetDisabled,
  type IntegrationChangeResult,
} from "./integrations";

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

export type AppChangeResult<Success extends object = object> = IntegrationChangeResult<
  Success,
  AppFieldErrors
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
    name: integrationNameSchema(APP_NAME_MAX_LENGTH),
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
    allowedRoles: audienceSchema("Choose who can use the app."),
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
  return { ok: false, reason: "invalid", fieldErrors: fieldErrorsOf<AppField>(parsed.error) };
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

/** What the audit records name an app by. */
const namedColumns = { id: apps.id, clientId: apps.clientId, name: apps.name };

const rules = integrationRules<{ id: string; clientId: string; name: string }>({
  missing: "That application does not exist.",
  notAllowed: "Only an administrator can change applications.",
  describe: (app) => ({ app: app.name, appId: app.id, clientId: app.clientId }),
  exists: async (tx, id) =>
    (await tx.select({ id: apps.id }).from(apps).where(eq(apps.id, id))).length > 0,
});

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
  if (agent.role !== "admin") return rules.notAllowed;
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
    await rules.record(tx, "admin.app.created", agent, app, why, context, {
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
  if (agent.role !== "admin") return rules.notAllowed;
  const current = await getApp(db, appId);
  if (!current) return rules.missing;
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
    if (!locked) return rules.missing;
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
    await rules.record(
      tx,
      "admin.app.updated",
      agent,
      { ...before, name: next.name },
      why,
      context,
      {
        changed: changed.join(" "),
        ...Object.fromEntries(
          changed.flatMap((field) => [
            [`${field}Before`, was[field] ?? null],
            [field, now[field] ?? null],
          ]),
        ),
      },
    );
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
  const secret = newClientSecret();
  return rules.change(db, agent, appId, async (tx) => {
    const [app] = await tx
      .select({ ...namedColumns, kind: apps.kind })
      .from(apps)
      .where(eq(apps.id, appId))
      .for("update");
    if (!app) return rules.missing;
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
    await rules.record(tx, "admin.app.secret_rotated", agent, app, why, context);
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
  return rules.toggle(db, agent, appId, why, context, {
    apply: (tx) =>
      tx
        .update(apps)
        .set(disabledChange(disabled))
        .where(and(eq(apps.id, appId), notYetDisabled(apps.disabledAt, disabled)))
        .returning(namedColumns),
    action: disabled ? "admin.app.disabled" : "admin.app.enabled",
    already: `The application is already ${disabled ? "disabled" : "enabled"}.`,
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
  return rules.remove(db, agent, appId, why, context, {
    apply: (tx) =>
      tx
        .delete(apps)
        .where(eq(apps.id, appId))
        .returning({ ...namedColumns, kind: apps.kind }),
    action: "admin.app.deleted",
    details: (app) => ({ kind: app.kind }),
  });
}
