import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  check,
  doublePrecision,
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
/** Where an account's password lives: Factor's own hash, or the organisation's directory. */
export const accountSourceEnum = pgEnum("account_source", ["local", "directory"]);

export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    email: text("email").notNull(),
    displayName: text("display_name").notNull(),
    role: roleEnum("role").notNull().default("user"),
    status: userStatusEnum("status").notNull().default("active"),
    /**
     * Who disabled the account: the directory sync (the person left it, and is enabled again if
     * they come back) or the console (which only the console undoes). Null while active.
     */
    disabledBy: text("disabled_by", { enum: ["directory", "console"] }),
    mfaRequired: boolean("mfa_required").notNull().default(true),
    passwordHash: text("password_hash"),
    passwordChangedAt: timestamp("password_changed_at", { withTimezone: true }),
    mustChangePassword: boolean("must_change_password").notNull().default(false),
    /** Chosen by the console: may postpone registering a method (docs/decisions/0022). */
    registrationGrace: boolean("registration_grace").notNull().default(false),
    /** How many times the person chose "Ask me later" at "More information required". */
    registrationPostponements: integer("registration_postponements").notNull().default(0),
    source: accountSourceEnum("source").notNull().default("local"),
    /** The directory's stable id (entryUUID, objectGUID as hex): the link that survives renames. */
    directoryId: text("directory_id"),
    /** The directory login name last seen (uid, sAMAccountName…): another name to sign in with. */
    directoryLogin: text("directory_login"),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("users_email_lower_idx").on(sql`lower(${t.email})`),
    uniqueIndex("users_directory_id_idx").on(t.directoryId),
    index("users_directory_login_idx").on(sql`lower(${t.directoryLogin})`),
    // Factor keeps no password for a person of the directory (issue #17).
    check(
      "users_directory_no_password",
      sql`${t.source} = 'local' or (${t.passwordHash} is null and ${t.directoryId} is not null)`,
    ),
    // The helpdesk's search: any part of a name or email, case-insensitive (pg_trgm).
    index("users_email_trgm_idx").using("gin", sql`lower(${t.email}) gin_trgm_ops`),
    index("users_name_trgm_idx").using("gin", sql`lower(${t.displayName}) gin_trgm_ops`),
  ],
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
    /**
     * The remembered browser ("Don't ask again") this sign-in happens in, if any: its session
     * will carry the link, so signing that session out forgets the browser too.
     */
    rememberedBrowserId: text("remembered_browser_id").references(() => rememberedBrowsers.id, {
      onDelete: "set null",
    }),
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

/**
 * One row per self-service password reset in progress (R-A2.8). A row is made for any email
 * typed, known or not, so the answer never tells which; `userId` is null when nobody matches.
 */
export const passwordResets = pgTable(
  "password_resets",
  {
    /** SHA-256 of the token held in the reset cookie. */
    id: text("id").primaryKey(),
    userId: uuid("user_id").references(() => users.id, { onDelete: "cascade" }),
    /** The sign-in options passed so far ("code", "sms"), each once. */
    verified: jsonb("verified").$type<string[]>().notNull().default([]),
    /** Wrong answers to this reset, whoever it is for: at the limit it ends. */
    failures: integer("failures").notNull().default(0),
    ip: text("ip"),
    userAgent: text("user_agent"),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    consumedAt: timestamp("consumed_at", { withTimezone: true }),
  },
  (t) => [index("password_resets_expires_idx").on(t.expiresAt)],
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
    /** The remembered browser this session was signed in from; signing it out forgets that too. */
    rememberedBrowserId: text("remembered_browser_id").references(() => rememberedBrowsers.id, {
      onDelete: "set null",
    }),
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
    /** Where the browser was when it was remembered, shown as a place (R-A12.7). */
    ip: text("ip"),
    createdAt: createdAt(),
    /** The last sign-in that skipped the second factor because of it. */
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
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
    /** Plain text. For a sensitive message (a code) it is sealed, and erased once delivered. */
    body: text("body").notNull(),
    htmlBody: text("html_body"),
    sensitive: boolean("sensitive").notNull().default(false),
    /** What the message belongs to, e.g. the phone challenge a call answers. */
    reference: text("reference"),
    /** The provider that delivered it and its id for the message (a call or message SID). */
    provider: text("provider"),
    providerMessageId: text("provider_message_id"),
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
    // Send limits per destination and the global budget count recent messages (R-A5.4).
    index("outbox_recipient_idx").on(t.recipient, t.createdAt),
    index("outbox_channel_idx").on(t.channel, t.createdAt),
    index("outbox_reference_idx").on(t.reference),
  ],
);

// ── phone numbers ───────────────────────────────────────────────────────────

/**
 * Each time a number served as one of a person's phone methods that take texts: from its
 * verification until the method went (`retired_at`, stamped by a trigger on every removal of the
 * method, drizzle/0023). A number whose last stretch served at least 7 days, that the person
 * deleted saying they still have it (`kept_at`), and that is no method now can prove a recovery
 * (docs/decisions/0023).
 */
export const phoneNumberHistory = pgTable(
  "phone_number_history",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    e164: text("e164").notNull(),
    /** The method the number served as; no foreign key, as the row outlives it. */
    methodId: uuid("method_id").notNull(),
    verifiedAt: timestamp("verified_at", { withTimezone: true }).notNull(),
    retiredAt: timestamp("retired_at", { withTimezone: true }),
    /** When the person deleted the phone saying they still have the number, to recover with. */
    keptAt: timestamp("kept_at", { withTimezone: true }),
  },
  (t) => [
    index("phone_number_history_user_idx").on(t.userId, t.e164),
    uniqueIndex("phone_number_history_method_idx").on(t.methodId),
  ],
);

// ── phone challenges ────────────────────────────────────────────────────────

/**
 * A text-message code or a call waiting for "#", for registering a phone or for signing in with
 * one. Only the newest code of a challenge is valid; a resend replaces it without resetting
 * `failures` (R-A5.2, R-A5.3).
 */
export const phoneChallenges = pgTable(
  "phone_challenges",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** The phone method (pending while registering); null for a former number. */
    methodId: uuid("method_id").references(() => mfaMethods.id, { onDelete: "cascade" }),
    /** A number that is no longer a method, texted to prove a recovery. */
    formerNumberId: uuid("former_number_id").references(() => phoneNumberHistory.id, {
      onDelete: "cascade",
    }),
    purpose: text("purpose", {
      enum: ["enrol", "sign_in", "step_up", "password_reset", "recovery"],
    }).notNull(),
    /** The sign-in transaction a sign-in challenge is bound to. */
    transactionId: text("transaction_id"),
    channel: text("channel", { enum: ["sms", "voice"] }).notNull(),
    /** HMAC of the current code with the server secret and this id; null for calls. */
    codeHash: text("code_hash"),
    status: text("status", {
      enum: ["pending", "ringing", "approved", "declined", "used", "dead"],
    }).notNull(),
    failures: integer("failures").notNull().default(0),
    sends: integer("sends").notNull().default(0),
    lastSentAt: timestamp("last_sent_at", { withTimezone: true }),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    answeredAt: timestamp("answered_at", { withTimezone: true }),
  },
  (t) => [
    index("phone_challenges_user_idx").on(t.userId, t.createdAt),
    check(
      "phone_challenges_one_destination",
      sql`(${t.methodId} is null) <> (${t.formerNumberId} is null)`,
    ),
    index("phone_challenges_expires_idx").on(t.expiresAt),
  ],
);

// ── alternate email ─────────────────────────────────────────────────────────

/**
 * A personal email address a person verified in Security info: for resetting a password and for
 * security notices, never a sign-in factor (so it is not an `mfa_methods` row, and nothing that
 * decides or offers a second step can see it). A person has at most one active address, and at
 * most one pending while they verify a new one.
 */
export const alternateEmails = pgTable(
  "alternate_emails",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    email: text("email").notNull(),
    status: text("status", { enum: ["pending", "active"] }).notNull(),
    createdAt: createdAt(),
    verifiedAt: timestamp("verified_at", { withTimezone: true }),
  },
  (t) => [
    index("alternate_emails_user_idx").on(t.userId),
    uniqueIndex("alternate_emails_one_active_idx")
      .on(t.userId)
      .where(sql`${t.status} = 'active'`),
  ],
);

/**
 * An 8-digit code emailed to an alternate address, bound to its person, purpose and transaction
 * (R-A1.6). Stored as a keyed hash; a resend replaces the code and keeps `failures` (R-A5.2,
 * R-A5.3).
 */
export const emailCodes = pgTable(
  "email_codes",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    alternateEmailId: uuid("alternate_email_id")
      .notNull()
      .references(() => alternateEmails.id, { onDelete: "cascade" }),
    purpose: text("purpose", { enum: ["enrol", "password_reset", "recovery"] }).notNull(),
    transactionId: text("transaction_id").notNull(),
    codeHash: text("code_hash").notNull(),
    status: text("status", { enum: ["pending", "used", "dead"] }).notNull(),
    failures: integer("failures").notNull().default(0),
    sends: integer("sends").notNull().default(1),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    index("email_codes_binding_idx").on(t.userId, t.purpose, t.transactionId),
    index("email_codes_expires_idx").on(t.expiresAt),
  ],
);

// ── account recovery ────────────────────────────────────────────────────────

/**
 * "Lost every method?" (docs/decisions/0023): the password and a code sent to an alternate email
 * verified at least 7 days earlier start a waiting period, told to every channel with a cancel
 * link; once it has passed, the next sign-in with the password removes the old methods and goes
 * to registration. `proving` while the code is awaited; then `waiting`, and at the end
 * `cancelled` or `completed`.
 */
export const accountRecoveries = pgTable(
  "account_recoveries",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    status: text("status", { enum: ["proving", "waiting", "cancelled", "completed"] }).notNull(),
    /** SHA-256 of the token in the recovery cookie, while the code is awaited. */
    proofTokenHash: text("proof_token_hash"),
    proofExpiresAt: timestamp("proof_expires_at", { withTimezone: true }).notNull(),
    /** SHA-256 of the single-use token in the cancel link. */
    cancelTokenHash: text("cancel_token_hash"),
    waitingSince: timestamp("waiting_since", { withTimezone: true }),
    completesAt: timestamp("completes_at", { withTimezone: true }),
    endedAt: timestamp("ended_at", { withTimezone: true }),
    /** Why it ended: "link" (the cancel link), "sign_in" (an old method was used), "completed". */
    endedBy: text("ended_by"),
    /** The second proof that started the wait: the alternate email, or a former number's text. */
    provenBy: text("proven_by", { enum: ["email", "text"] }),
    ip: text("ip"),
    userAgent: text("user_agent"),
    createdAt: createdAt(),
  },
  (t) => [
    index("account_recoveries_user_idx").on(t.userId, t.createdAt),
    uniqueIndex("account_recoveries_proof_idx").on(t.proofTokenHash),
    uniqueIndex("account_recoveries_cancel_idx").on(t.cancelTokenHash),
  ],
);

// ── activity ────────────────────────────────────────────────────────────────

/**
 * Every sign-in attempt (R-A14.1), what "My sign-ins" lists. Attacker-influenced text (user
 * agent, ISP) is stored as given and only ever rendered as text (R-A14.3).
 *
 * Partitioned by month on `at` (PARTITION BY RANGE, plus a default partition), which drizzle
 * cannot express: drizzle/0008_partition-sign-in-events.sql creates it and
 * lib/activity/sign-in-event-partitions.ts keeps the months (docs/decisions/0013). So the primary
 * key holds `at`, and nothing references an event by a foreign key.
 */
export const signInEvents = pgTable(
  "sign_in_events",
  {
    id: bigserial("id", { mode: "number" }).notNull(),
    /** Null when the email matched no account (kept for password-spray detection only). */
    userId: uuid("user_id").references(() => users.id, { onDelete: "cascade" }),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    app: text("app").notNull().default("Security portal"),
    /** The OpenID Connect application signed in to (apps.client_id), null for the portal. */
    clientId: text("client_id"),
    result: text("result", { enum: ["success", "failure", "interrupted"] }).notNull(),
    /** Why: password, wrong_password, mfa_failed, mfa_abandoned, locked, replayed_code, registered… */
    reason: text("reason").notNull(),
    methods: jsonb("methods").$type<string[]>().notNull().default([]),
    /** The sign-in transaction this attempt belongs to, until it finishes. */
    transactionId: text("transaction_id"),
    /** The session it created (sessions.id is itself a hash of the token). */
    sessionId: text("session_id"),
    ip: text("ip"),
    countryCode: text("country_code"),
    countryName: text("country_name"),
    city: text("city"),
    latitude: doublePrecision("latitude"),
    longitude: doublePrecision("longitude"),
    asn: integer("asn"),
    isp: text("isp"),
    userAgent: text("user_agent"),
    browser: text("browser"),
    os: text("os"),
    deviceType: text("device_type"),
    riskLevel: text("risk_level", { enum: ["none", "low", "medium", "high"] })
      .notNull()
      .default("none"),
    riskReasons: jsonb("risk_reasons").$type<string[]>().notNull().default([]),
    /** The person's answer: "This was me" or "This wasn't me". */
    verdict: text("verdict", { enum: ["confirmed", "reported"] }),
    verdictAt: timestamp("verdict_at", { withTimezone: true }),
  },
  (t) => [
    // A partitioned table's unique keys must contain its partition key.
    primaryKey({ columns: [t.id, t.at] }),
    // My sign-ins: newest first by cursor (at, id) for one user.
    index("sign_in_events_user_at_idx").on(t.userId, t.at.desc(), t.id.desc()),
    // Password spray: failures from one address across accounts.
    index("sign_in_events_ip_at_idx").on(t.ip, t.at),
    index("sign_in_events_at_idx").on(t.at),
    index("sign_in_events_transaction_idx").on(t.transactionId),
  ],
);

/** Networks (by ASN) a person said were theirs ("This was me" on a VPN sign-in). */
export const knownNetworks = pgTable(
  "known_networks",
  {
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    asn: integer("asn").notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.asn] })],
);

// ── helpdesk cases ──────────────────────────────────────────────────────────

/** The helpdesk queue: "Tell us what happened" reports and "I do not own a mobile phone" requests. */
export const cases = pgTable(
  "cases",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id").references(() => users.id, { onDelete: "set null" }),
    kind: text("kind", { enum: ["unrecognised_activity", "no_mobile_phone", "other"] }).notNull(),
    status: text("status", { enum: ["open", "in_progress", "resolved"] })
      .notNull()
      .default("open"),
    /** How to reach the person when they could not sign in. */
    contactEmail: text("contact_email"),
    message: text("message").notNull(),
    signInEventId: bigint("sign_in_event_id", { mode: "number" }),
    assigneeId: uuid("assignee_id").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    closedAt: timestamp("closed_at", { withTimezone: true }),
  },
  (t) => [
    index("cases_status_idx").on(t.status, t.createdAt),
    index("cases_user_idx").on(t.userId),
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

// ── helpdesk and admin ──────────────────────────────────────────────────────

/** Notes on a case, by the agents working it. */
export const caseNotes = pgTable(
  "case_notes",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    caseId: uuid("case_id")
      .notNull()
      .references(() => cases.id, { onDelete: "cascade" }),
    authorId: uuid("author_id").references(() => users.id, { onDelete: "set null" }),
    body: text("body").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("case_notes_case_idx").on(t.caseId, t.createdAt)],
);

/**
 * Temporary Access Passes (R-A10): issued by an agent, shown once, stored as a hash; one active
 * per user. A pass stands in for both password and second factor, for registering methods only.
 */
export const temporaryAccessPasses = pgTable(
  "temporary_access_passes",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    passHash: text("pass_hash").notNull(),
    issuedBy: uuid("issued_by").references(() => users.id, { onDelete: "set null" }),
    oneTime: boolean("one_time").notNull().default(true),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    usedAt: timestamp("used_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [index("temporary_access_passes_user_idx").on(t.userId, t.createdAt)],
);

/**
 * A helpdesk agent's check that a caller is the person whose account they ask about (R-A10.4):
 * a request to the person's paired phone, or a code texted to their phone that the caller reads
 * back. Bound to the agent, the person and the method; a code is kept only as a keyed hash and
 * dies after a few wrong tries. Once verified, it stands for VERIFIED_CALLER_MAX_AGE_MS
 * (lib/admin/caller-verification.ts).
 */
export const callerVerifications = pgTable(
  "caller_verifications",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** The person being verified. */
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** The agent who asked, and whose call it proves. */
    agentId: uuid("agent_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    method: text("method", { enum: ["push", "sms", "email"] }).notNull(),
    /** The phone a code was texted to; a verification outlives the phone's removal (an MFA reset). */
    phoneMethodId: uuid("phone_method_id").references(() => mfaMethods.id, {
      onDelete: "set null",
    }),
    /** The request sent to the person's paired phones. */
    pushRequestId: uuid("push_request_id").references(() => pushRequests.id, {
      onDelete: "set null",
    }),
    /** HMAC of the texted or emailed code with the server secret and this id; null for a push. */
    codeHash: text("code_hash"),
    failures: integer("failures").notNull().default(0),
    status: text("status", {
      enum: ["pending", "verified", "denied", "reported", "failed", "expired", "replaced"],
    })
      .notNull()
      .default("pending"),
    createdAt: createdAt(),
    /** Until when the code or the request can be answered. */
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    /** When it ended: verified, denied, failed or expired. */
    endedAt: timestamp("ended_at", { withTimezone: true }),
  },
  (t) => [
    index("caller_verifications_user_idx").on(t.userId, t.createdAt),
    index("caller_verifications_agent_idx").on(t.agentId, t.userId, t.createdAt),
  ],
);

/**
 * Hardware OATH tokens imported by administrators. Once its holder enters a current code, a token
 * becomes an `mfa_methods` row (kind hardware_token) and signs in like an authenticator app.
 */
export const hardwareTokens = pgTable(
  "hardware_tokens",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    serialNumber: text("serial_number").notNull(),
    secretSealed: text("secret_sealed").notNull(),
    periodSeconds: integer("period_seconds").notNull().default(30),
    digits: integer("digits").notNull().default(6),
    manufacturer: text("manufacturer"),
    model: text("model"),
    userId: uuid("user_id").references(() => users.id, { onDelete: "set null" }),
    methodId: uuid("method_id").references(() => mfaMethods.id, { onDelete: "set null" }),
    importedAt: timestamp("imported_at", { withTimezone: true }).notNull().defaultNow(),
    assignedAt: timestamp("assigned_at", { withTimezone: true }),
    activatedAt: timestamp("activated_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("hardware_tokens_serial_idx").on(t.serialNumber),
    index("hardware_tokens_user_idx").on(t.userId),
  ],
);

/** Policy set by administrators at /admin/settings; a missing key means the built-in default. */
export const settings = pgTable("settings", {
  key: text("key").primaryKey(),
  value: jsonb("value").$type<string | number | boolean | string[]>().notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  updatedBy: uuid("updated_by").references(() => users.id, { onDelete: "set null" }),
});

// ── passwordless: passkeys and the companion authenticator ──────────────────

/** WebAuthn credentials (R-A7); each is also an `mfa_methods` row of kind passkey. */
export const webauthnCredentials = pgTable(
  "webauthn_credentials",
  {
    /** The credential id, base64url, as the authenticator gave it. */
    id: text("id").primaryKey(),
    methodId: uuid("method_id")
      .notNull()
      .references(() => mfaMethods.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** COSE public key, base64url. */
    publicKey: text("public_key").notNull(),
    signCount: bigint("sign_count", { mode: "number" }).notNull().default(0),
    transports: jsonb("transports").$type<string[]>().notNull().default([]),
    /** "singleDevice" (device-bound) or "multiDevice" (synced). */
    deviceType: text("device_type").notNull(),
    backedUp: boolean("backed_up").notNull().default(false),
    aaguid: text("aaguid"),
    /** Set when a signature counter went backwards: a possible cloned authenticator (R-A7.3). */
    counterRegressedAt: timestamp("counter_regressed_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    index("webauthn_credentials_user_idx").on(t.userId),
    uniqueIndex("webauthn_credentials_method_idx").on(t.methodId),
  ],
);

/** Single-use, expiring WebAuthn challenges, for registering and for signing in (R-A7.1). */
export const webauthnChallenges = pgTable(
  "webauthn_challenges",
  {
    /** The challenge itself, base64url (it is public: it is signed, not kept secret). */
    challenge: text("challenge").primaryKey(),
    /** Null for a passwordless sign-in, where the person is not known yet. */
    userId: uuid("user_id").references(() => users.id, { onDelete: "cascade" }),
    purpose: text("purpose", { enum: ["register", "second_factor", "passwordless"] }).notNull(),
    transactionId: text("transaction_id"),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    usedAt: timestamp("used_at", { withTimezone: true }),
  },
  (t) => [index("webauthn_challenges_expires_idx").on(t.expiresAt)],
);

/**
 * Phones paired with the companion authenticator (R-A6): the server keeps only each device's
 * public key; each device is also an `mfa_methods` row of kind companion_app.
 */
export const companionDevices = pgTable(
  "companion_devices",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    methodId: uuid("method_id")
      .notNull()
      .references(() => mfaMethods.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** ECDSA P-256 public key as SPKI, base64url. */
    publicKey: text("public_key").notNull(),
    /** Web Push subscription, when the operator configured VAPID keys. */
    pushSubscription: jsonb("push_subscription").$type<Record<string, unknown>>(),
    phoneSignInEnabled: boolean("phone_sign_in_enabled").notNull().default(false),
    /**
     * Phone sign-in's app PIN, checked here and never on the phone: argon2id of the PIN proof
     * the phone derives (PBKDF2). Present exactly while phone sign-in is on.
     */
    pinHash: text("pin_hash"),
    /** Wrong app PINs in a row; enough of them turn phone sign-in off. */
    pinFailures: integer("pin_failures").notNull().default(0),
    pairedAt: createdAt(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }),
  },
  (t) => [
    index("companion_devices_user_idx").on(t.userId),
    uniqueIndex("companion_devices_method_idx").on(t.methodId),
    check(
      "companion_devices_phone_sign_in_pin",
      sql`not ${t.phoneSignInEnabled} or ${t.pinHash} is not null`,
    ),
  ],
);

/** One-time pairing links shown as a QR code in Security info. */
export const companionPairings = pgTable(
  "companion_pairings",
  {
    /** SHA-256 of the token in the link. */
    id: text("id").primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    usedAt: timestamp("used_at", { withTimezone: true }),
  },
  (t) => [index("companion_pairings_user_idx").on(t.userId)],
);

/**
 * Push approvals with number matching (R-A6.1-6.4): bound to a sign-in transaction, expiring in
 * two minutes, used once; the device signs the challenge and the number with its key.
 */
export const pushRequests = pgTable(
  "push_requests",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    transactionId: text("transaction_id"),
    /**
     * "helpdesk_verification": an agent checking a caller, with the request's id as transaction.
     * "service_sign_in": a VPN's sign-in over RADIUS, which has no number (its hash is of "").
     */
    purpose: text("purpose", {
      enum: ["second_factor", "phone_sign_in", "helpdesk_verification", "service_sign_in"],
    }).notNull(),
    /** Random, base64url; what the device signs together with the number. */
    challenge: text("challenge").notNull(),
    /** The two-digit number the browser shows (kept as a keyed hash). */
    numberHash: text("number_hash").notNull(),
    status: text("status", { enum: ["pending", "approved", "denied", "used", "expired"] })
      .notNull()
      .default("pending"),
    /** The device that answered. */
    deviceId: uuid("device_id").references(() => companionDevices.id, { onDelete: "set null" }),
    /** What the phone shows: app, approximate location, time. */
    context: jsonb("context").$type<Record<string, string | null>>().notNull(),
    fraudReported: boolean("fraud_reported").notNull().default(false),
    wrongAnswers: integer("wrong_answers").notNull().default(0),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    answeredAt: timestamp("answered_at", { withTimezone: true }),
  },
  (t) => [
    index("push_requests_user_idx").on(t.userId, t.createdAt),
    index("push_requests_transaction_idx").on(t.transactionId),
  ],
);

// ── applications: the OpenID Connect provider ──────────────────────────────

/**
 * The organisation's apps that sign people in through Factor (docs/decisions/0017). The secret
 * of a web app is shown once and kept as a SHA-256 hash: it is 256 random bits, so a slow hash
 * adds nothing.
 */
export const apps = pgTable(
  "apps",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    clientId: text("client_id").notNull(),
    name: text("name").notNull(),
    /** "web": a server-side app with a secret; "public": a single-page or mobile app, PKCE only. */
    kind: text("kind", { enum: ["web", "public"] }).notNull(),
    secretHash: text("secret_hash"),
    redirectUris: jsonb("redirect_uris").$type<string[]>().notNull(),
    postLogoutRedirectUris: jsonb("post_logout_redirect_uris")
      .$type<string[]>()
      .notNull()
      .default([]),
    backchannelLogoutUri: text("backchannel_logout_uri"),
    /** Roles that may use the app; null means everyone. */
    allowedRoles: jsonb("allowed_roles").$type<("user" | "helpdesk" | "admin")[]>(),
    /** "mfa": any second factor; "phishing_resistant": a passkey or security key. */
    proof: text("proof", { enum: ["mfa", "phishing_resistant"] })
      .notNull()
      .default("mfa"),
    askConsent: boolean("ask_consent").notNull().default(false),
    disabledAt: timestamp("disabled_at", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("apps_client_id_idx").on(t.clientId)],
);

/**
 * What a person allowed an app that asks for consent to receive (the scopes), remembered until
 * they remove its access in My apps. Apps that do not ask need no row.
 */
export const appConsents = pgTable(
  "app_consents",
  {
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    appId: uuid("app_id")
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    scopes: jsonb("scopes").$type<string[]>().notNull(),
    grantedAt: timestamp("granted_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.appId] })],
);

/**
 * The provider's own records (sessions, interactions, codes, tokens, grants), one row each,
 * written by lib/oidc/adapter.ts. Removed by the hourly clean-up once expired.
 */
export const oidcRecords = pgTable(
  "oidc_records",
  {
    /** The provider's model name: Session, Interaction, AuthorizationCode, RefreshToken, Grant… */
    kind: text("kind").notNull(),
    id: text("id").notNull(),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    grantId: text("grant_id"),
    uid: text("uid"),
    userCode: text("user_code"),
    accountId: text("account_id"),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    consumedAt: timestamp("consumed_at", { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.kind, t.id] }),
    index("oidc_records_grant_idx").on(t.grantId),
    index("oidc_records_uid_idx").on(t.uid),
    index("oidc_records_account_idx").on(t.accountId),
    index("oidc_records_expires_idx").on(t.expiresAt),
  ],
);

/**
 * The keys that sign ID tokens, sealed like every other secret, so every instance publishes the
 * same set. The newest signs; a retired key stays published until the tokens it signed expire.
 */
export const oidcSigningKeys = pgTable("oidc_signing_keys", {
  kid: text("kid").primaryKey(),
  sealedKey: text("sealed_key").notNull(),
  createdAt: createdAt(),
  retiredAt: timestamp("retired_at", { withTimezone: true }),
});

// ── RADIUS: VPNs, Wi-Fi and network equipment ──────────────────────────────

/**
 * The network equipment that may ask Factor whether to let someone in (docs/decisions/0019). A
 * request is answered only from a client's address, checked with its own shared secret: 192
 * random bits generated by Factor, shown once and kept sealed, since every packet needs it in the
 * clear (R-A20.1).
 */
export const radiusClients = pgTable("radius_clients", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: text("name").notNull(),
  /** One address or a CIDR block, normalised ("192.0.2.0/24", "2001:db8::/32"). */
  address: text("address").notNull(),
  sealedSecret: text("sealed_secret").notNull(),
  /** Blast-RADIUS (CVE-2024-3596): off only for old equipment that cannot send one (R-A20.2). */
  requireMessageAuthenticator: boolean("require_message_authenticator").notNull().default(true),
  /** Roles whose people may use the service; null means everyone. */
  allowedRoles: jsonb("allowed_roles").$type<("user" | "helpdesk" | "admin")[]>(),
  disabledAt: timestamp("disabled_at", { withTimezone: true }),
  createdAt: createdAt(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

// ── Services API: scripts, PAM modules and other servers ────────────────────

/**
 * The systems that call `POST /api/v1/verify` with a key of their own (docs/decisions/0020).
 * The key is 256 random bits, shown once; only its SHA-256 is kept, as for app client secrets,
 * and a short prefix of it names the key in the console (R-A20.5).
 */
export const apiServices = pgTable(
  "api_services",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    /** The key's first characters, shown in the console so a key in a config file can be matched. */
    keyPrefix: text("key_prefix").notNull(),
    /** SHA-256 of the whole key, hex. */
    keyHash: text("key_hash").notNull(),
    /** Roles whose people may use the service; null means everyone. */
    allowedRoles: jsonb("allowed_roles").$type<("user" | "helpdesk" | "admin")[]>(),
    /** Off for a service that has proven who the person is already (an SSH key before PAM). */
    passwordRequired: boolean("password_required").notNull().default(true),
    disabledAt: timestamp("disabled_at", { withTimezone: true }),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("api_services_key_hash_idx").on(t.keyHash)],
);

// ── The organisation's directory ─────────────────────────────────────────────

/**
 * Each run of the directory sync (lib/directory/sync.ts), its counts and what it found: the
 * console shows the last, and the next compares the people it finds with the last that finished.
 */
export const directorySyncs = pgTable(
  "directory_syncs",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    /** What changes were applied: a dry run only lists them. */
    dryRun: boolean("dry_run").notNull().default(false),
    /** Who asked (an administrator's id), or null for the background job. */
    requestedBy: uuid("requested_by"),
    outcome: text("outcome", {
      enum: ["running", "completed", "stopped", "unreachable"],
    })
      .notNull()
      .default("running"),
    /** People the directory returned. */
    found: integer("found").notNull().default(0),
    created: integer("created").notNull().default(0),
    updated: integer("updated").notNull().default(0),
    disabled: integer("disabled").notNull().default(0),
    errors: integer("errors").notNull().default(0),
    /** Why it stopped or failed, in a sentence for the console. */
    message: text("message"),
    /** The changes, one line each (the first few hundred): what a dry run shows. */
    changes: jsonb("changes").$type<string[]>().notNull().default([]),
  },
  (t) => [index("directory_syncs_started_idx").on(t.startedAt)],
);
