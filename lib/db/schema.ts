import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

// One schema for both drivers. Each domain's tables are grouped here so drizzle-kit sees them all.

const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();

// ── accounts ────────────────────────────────────────────────────────────────

export const roleEnum = pgEnum("role", ["user", "helpdesk", "admin"]);
export const userStatusEnum = pgEnum("user_status", ["active", "disabled"]);

export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    email: text("email").notNull(),
    displayName: text("display_name").notNull(),
    role: roleEnum("role").notNull().default("user"),
    status: userStatusEnum("status").notNull().default("active"),
    mfaRequired: boolean("mfa_required").notNull().default(true),
    passwordHash: text("password_hash"),
    passwordChangedAt: timestamp("password_changed_at", { withTimezone: true }),
    mustChangePassword: boolean("must_change_password").notNull().default(false),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("users_email_lower_idx").on(sql`lower(${t.email})`)],
);

// ── sign-in transaction and sessions ────────────────────────────────────────

/**
 * One row per sign-in in progress. Nothing here counts as signed in: a session row is created
 * only when `stage` reaches `ready` and the transaction is consumed.
 */
export const signInTransactions = pgTable(
  "sign_in_transactions",
  {
    /** SHA-256 of the token held in the transaction cookie. */
    id: text("id").primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** sign_in: a new session. step_up: a fresh second factor that replaces `replacesSessionId`. */
    purpose: text("purpose", { enum: ["sign_in", "step_up"] })
      .notNull()
      .default("sign_in"),
    stage: text("stage", {
      enum: ["second_factor", "registration", "stay_signed_in", "ready"],
    }).notNull(),
    replacesSessionId: text("replaces_session_id"),
    /** Authentication methods references passed so far (RFC 8176 style: "pwd", "otp", …). */
    methods: jsonb("methods").$type<string[]>().notNull(),
    secondFactorAt: timestamp("second_factor_at", { withTimezone: true }),
    persistent: boolean("persistent").notNull().default(false),
    callbackPath: text("callback_path").notNull().default("/"),
    ip: text("ip"),
    userAgent: text("user_agent"),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    consumedAt: timestamp("consumed_at", { withTimezone: true }),
  },
  (t) => [index("sign_in_transactions_expires_idx").on(t.expiresAt)],
);

export const sessions = pgTable(
  "sessions",
  {
    /** SHA-256 of the 256-bit token carried (encrypted) in the session cookie. */
    id: text("id").primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** Authenticator assurance level reached: 1 = password only, 2 = two factors. */
    aal: integer("aal").notNull(),
    methods: jsonb("methods").$type<string[]>().notNull(),
    authenticatedAt: timestamp("authenticated_at", { withTimezone: true }).notNull(),
    secondFactorAt: timestamp("second_factor_at", { withTimezone: true }),
    persistent: boolean("persistent").notNull().default(false),
    ip: text("ip"),
    userAgent: text("user_agent"),
    createdAt: createdAt(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull().defaultNow(),
    idleExpiresAt: timestamp("idle_expires_at", { withTimezone: true }).notNull(),
    absoluteExpiresAt: timestamp("absolute_expires_at", { withTimezone: true }).notNull(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    revokedReason: text("revoked_reason"),
  },
  (t) => [index("sessions_user_idx").on(t.userId, t.createdAt)],
);

// ── MFA methods ─────────────────────────────────────────────────────────────

/**
 * One row per registered sign-in method (and per device: each authenticator app has its own
 * secret). Secrets are sealed (lib/security/sealing.ts); `data` holds kind-specific public fields.
 */
export const mfaMethods = pgTable(
  "mfa_methods",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    kind: text("kind").notNull(),
    label: text("label").notNull(),
    status: text("status", { enum: ["pending", "active"] }).notNull(),
    secretSealed: text("secret_sealed"),
    /** RFC 6238 time-step of the last accepted code: each step is accepted once (R-A4.3). */
    lastUsedStep: bigint("last_used_step", { mode: "number" }),
    isDefault: boolean("is_default").notNull().default(false),
    data: jsonb("data").$type<Record<string, string | number | boolean | null>>(),
    createdAt: createdAt(),
    confirmedAt: timestamp("confirmed_at", { withTimezone: true }),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    /** A pending enrolment is abandoned after this. */
    expiresAt: timestamp("expires_at", { withTimezone: true }),
  },
  (t) => [
    index("mfa_methods_user_idx").on(t.userId, t.status),
    uniqueIndex("mfa_methods_one_default_idx")
      .on(t.userId)
      .where(sql`${t.isDefault}`),
  ],
);

/** Look-up secrets (R-A8): stored as argon2id hashes, each used once. */
export const recoveryCodes = pgTable(
  "recovery_codes",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    codeHash: text("code_hash").notNull(),
    createdAt: createdAt(),
    usedAt: timestamp("used_at", { withTimezone: true }),
  },
  (t) => [index("recovery_codes_user_idx").on(t.userId)],
);

/** "Don't ask again for N days": a browser that may skip the second factor, revocable. */
export const rememberedBrowsers = pgTable(
  "remembered_browsers",
  {
    /** SHA-256 of the token in the browser's cookie. */
    id: text("id").primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    userAgent: text("user_agent"),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [index("remembered_browsers_user_idx").on(t.userId)],
);

// ── messages ────────────────────────────────────────────────────────────────

/**
 * The durable outbox: a message is written in the same transaction as the change that causes
 * it, and a dispatcher delivers it later, so a crash loses nothing.
 */
export const outbox = pgTable(
  "outbox",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    userId: uuid("user_id"),
    channel: text("channel", { enum: ["email", "sms", "voice"] }).notNull(),
    recipient: text("recipient").notNull(),
    subject: text("subject"),
    body: text("body").notNull(),
    status: text("status", { enum: ["pending", "sent", "failed"] })
      .notNull()
      .default("pending"),
    attempts: integer("attempts").notNull().default(0),
    createdAt: createdAt(),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp("sent_at", { withTimezone: true }),
    lastError: text("last_error"),
  },
  (t) => [
    index("outbox_pending_idx").on(t.status, t.nextAttemptAt),
    index("outbox_user_idx").on(t.userId, t.createdAt),
  ],
);

// ── throttling ──────────────────────────────────────────────────────────────

/** Failure counters shared by every app instance (R-A11.3). */
export const authThrottles = pgTable(
  "auth_throttles",
  {
    scope: text("scope").notNull(),
    key: text("key").notNull(),
    failures: integer("failures").notNull().default(0),
    /** Keyed fingerprints of recent wrong secrets, newest first: a repeat does not count again. */
    recentFingerprints: text("recent_fingerprints")
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    lockedUntil: timestamp("locked_until", { withTimezone: true }),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.scope, t.key] }),
    index("auth_throttles_updated_idx").on(t.updatedAt),
  ],
);

// ── audit ───────────────────────────────────────────────────────────────────

/** Append-only: a trigger refuses UPDATE and DELETE (see the append-only migration). */
export const auditLog = pgTable(
  "audit_log",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    actorId: uuid("actor_id"),
    subjectId: uuid("subject_id"),
    action: text("action").notNull(),
    outcome: text("outcome", { enum: ["success", "failure", "denied"] }).notNull(),
    ip: text("ip"),
    userAgent: text("user_agent"),
    details: jsonb("details").$type<Record<string, string | number | boolean | null>>(),
  },
  (t) => [
    index("audit_log_subject_idx").on(t.subjectId, t.at),
    index("audit_log_actor_idx").on(t.actorId, t.at),
    index("audit_log_at_idx").on(t.at),
  ],
);
