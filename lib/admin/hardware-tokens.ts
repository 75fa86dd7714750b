import { randomUUID } from "node:crypto";
import { parse } from "csv-parse/sync";
import { and, asc, eq, gt, inArray, isNotNull, isNull, sql } from "drizzle-orm";
import { writeAudit } from "@/lib/audit/log";
import type { Role } from "@/lib/auth/users";
import type { Executor } from "@/lib/db/client";
import { hardwareTokens, mfaMethods, users } from "@/lib/db/schema";
import { seal } from "@/lib/security/sealing";
import { isUuid } from "@/lib/security/ids";
import type { RequestContext } from "@/lib/types/request";
import type { Result } from "@/lib/types/result";
import { clock } from "@/lib/clock";

// The hardware OATH token inventory (R-A4.6): imported by administrators from the CSV file the
// vendor ships, in the common format Microsoft Entra reads —
//   upn,serial number,secret key,time interval,manufacturer,model
// — each secret sealed at rest with the token's id as associated data (R-A3.4), assigned to at
// most one person, and never shown again. Activation and sign-in: lib/mfa/hardware-token.ts.

/** Rows one import may hold; vendors ship batches of hundreds. */
export const TOKEN_IMPORT_MAX_ROWS = 5000;
/** The largest file the import page accepts. */
export const TOKEN_IMPORT_MAX_BYTES = 1_000_000;

const COLUMNS = {
  upn: ["upn", "user", "email"],
  serial: ["serial number", "serial", "serialnumber"],
  secret: ["secret key", "secret", "secretkey"],
  interval: ["time interval", "timeinterval", "interval", "period"],
  manufacturer: ["manufacturer"],
  model: ["model"],
} as const;
type Column = keyof typeof COLUMNS;

export type TokenImportRow = {
  line: number;
  serialNumber: string;
  /** Normalised base32, uppercase, no padding: only ever passed on to be sealed. */
  secret: string;
  periodSeconds: 30 | 60;
  manufacturer: string | null;
  model: string | null;
  email: string | null;
  userId: string | null;
};

export type TokenImportProblem = { line: number; message: string };

export type TokenImportPreview = {
  rows: Omit<TokenImportRow, "secret">[];
  problems: TokenImportProblem[];
};

const SERIAL_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

/** Base32 without spaces or padding, or null when it is not a usable TOTP secret. */
function normaliseSecret(value: string): string | null {
  const secret = value.replace(/[\s-]/g, "").replace(/=+$/, "").toUpperCase();
  // At least 128 bits: the TOTP library refuses shorter secrets, and NIST asks for 112 (R-A4.1).
  if (!/^[A-Z2-7]+$/.test(secret) || secret.length < 26 || secret.length > 128) return null;
  return secret;
}

/** A cell as text, with formula prefixes and control characters left as they are (stored as text). */
function cell(record: Record<Column, string | undefined>, column: Column): string {
  return (record[column] ?? "").trim();
}

/**
 * Reads and checks a vendor CSV: the header names the columns (any order, any case); every
 * problem is reported with its line, and rows are only returned when there is none. Emails must
 * belong to existing accounts, and serial numbers must be new.
 */
export async function checkTokenCsv(
  db: Executor,
  text: string,
): Promise<{ rows: TokenImportRow[]; problems: TokenImportProblem[] }> {
  const problems: TokenImportProblem[] = [];
  let records: string[][];
  try {
    records = parse(text, {
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
    }) as string[][];
  } catch (error) {
    const line = (error as { lines?: number }).lines ?? 1;
    return { rows: [], problems: [{ line, message: "The file is not valid CSV." }] };
  }
  const [header, ...body] = records;
  if (!header) return { rows: [], problems: [{ line: 1, message: "The file is empty." }] };
  const index = {} as Record<Column, number>;
  const names = header.map((h) => h.trim().toLowerCase());
  for (const column of Object.keys(COLUMNS) as Column[]) {
    index[column] = names.findIndex((n) => (COLUMNS[column] as readonly string[]).includes(n));
  }
  if (index.serial < 0 || index.secret < 0) {
    return {
      rows: [],
      problems: [
        {
          line: 1,
          message:
            'The first line must name the columns: upn,serial number,secret key,time interval,manufacturer,model ("serial number" and "secret key" are required).',
        },
      ],
    };
  }
  if (body.length > TOKEN_IMPORT_MAX_ROWS) {
    return {
      rows: [],
      problems: [{ line: 1, message: `Import at most ${TOKEN_IMPORT_MAX_ROWS} tokens at once.` }],
    };
  }

  const parsed: TokenImportRow[] = [];
  const seen = new Map<string, number>();
  body.forEach((values, i) => {
    const line = i + 2;
    const record = Object.fromEntries(
      (Object.keys(COLUMNS) as Column[]).map((c) => [c, index[c] >= 0 ? values[index[c]] : ""]),
    ) as Record<Column, string | undefined>;
    const serialNumber = cell(record, "serial");
    const secret = normaliseSecret(cell(record, "secret"));
    const interval = cell(record, "interval") || "30";
    const email = cell(record, "upn").toLowerCase() || null;
    const manufacturer = cell(record, "manufacturer").slice(0, 100) || null;
    const model = cell(record, "model").slice(0, 100) || null;
    const rowProblems: string[] = [];
    if (!SERIAL_PATTERN.test(serialNumber))
      rowProblems.push("the serial number must be 1 to 64 letters, digits, dots or dashes");
    else if (seen.has(serialNumber))
      rowProblems.push(`serial number ${serialNumber} is also on line ${seen.get(serialNumber)}`);
    if (!secret) rowProblems.push("the secret key must be base32 of at least 128 bits");
    if (interval !== "30" && interval !== "60")
      rowProblems.push("the time interval must be 30 or 60");
    if (email && (email.length > 320 || !/^[^\s@]+@[^\s@]+$/.test(email)))
      rowProblems.push("the upn must be an email address or blank");
    if (SERIAL_PATTERN.test(serialNumber) && !seen.has(serialNumber)) seen.set(serialNumber, line);
    if (rowProblems.length > 0) {
      problems.push({ line, message: `Line ${line}: ${rowProblems.join("; ")}.` });
      return;
    }
    parsed.push({
      line,
      serialNumber,
      secret: secret!,
      periodSeconds: interval === "60" ? 60 : 30,
      manufacturer,
      model,
      email,
      userId: null,
    });
  });

  // Serial numbers already imported, and whom the emails belong to: one query each.
  const serials = parsed.map((r) => r.serialNumber);
  const existing = new Set(
    serials.length === 0
      ? []
      : (
          await db
            .select({ serial: hardwareTokens.serialNumber })
            .from(hardwareTokens)
            .where(inArray(hardwareTokens.serialNumber, serials))
        ).map((r) => r.serial),
  );
  const emails = [...new Set(parsed.flatMap((r) => (r.email ? [r.email] : [])))];
  const owners = new Map(
    emails.length === 0
      ? []
      : (
          await db
            .select({ id: users.id, email: sql<string>`lower(${users.email})` })
            .from(users)
            .where(inArray(sql`lower(${users.email})`, emails))
        ).map((u) => [u.email, u.id] as const),
  );
  for (const row of parsed) {
    if (existing.has(row.serialNumber))
      problems.push({
        line: row.line,
        message: `Line ${row.line}: serial number ${row.serialNumber} is already in the inventory.`,
      });
    if (row.email) {
      const owner = owners.get(row.email);
      if (owner) row.userId = owner;
      else
        problems.push({
          line: row.line,
          message: `Line ${row.line}: no account has the email address ${row.email}.`,
        });
    }
  }
  problems.sort((a, b) => a.line - b.line);
  return problems.length > 0 ? { rows: [], problems } : { rows: parsed, problems };
}

/** The dry run: what an import would add, or each problem — never a secret. */
export async function previewTokenImport(db: Executor, text: string): Promise<TokenImportPreview> {
  const { rows, problems } = await checkTokenCsv(db, text);
  return { rows: rows.map(({ secret: _secret, ...row }) => row), problems };
}

export type TokenImportResult = Result<
  { imported: number; assigned: { userId: string; serialNumber: string }[] },
  "invalid_file",
  { problems: TokenImportProblem[] }
>;

/**
 * Imports a vendor CSV in the caller's transaction: nothing at all unless every row is clean.
 * Each secret is sealed with its token's id (R-A3.4); rows naming a person assign the token to
 * them (the caller tells them). Audited once with the count.
 */
export async function importTokens(
  tx: Executor,
  text: string,
  actor: RequestContext & { id: string; reason: string },
): Promise<TokenImportResult> {
  const { rows, problems } = await checkTokenCsv(tx, text);
  if (problems.length > 0) return { ok: false, reason: "invalid_file", problems };
  if (rows.length === 0) {
    const problem = { line: 2, message: "The file lists no tokens." };
    return { ok: false, reason: "invalid_file", problems: [problem] };
  }
  const values = rows.map((row) => {
    const id = randomUUID();
    return {
      id,
      serialNumber: row.serialNumber,
      secretSealed: seal(row.secret, id),
      periodSeconds: row.periodSeconds,
      manufacturer: row.manufacturer,
      model: row.model,
      userId: row.userId,
      assignedAt: row.userId ? clock.now() : null,
    };
  });
  for (let i = 0; i < values.length; i += 500) {
    await tx.insert(hardwareTokens).values(values.slice(i, i + 500));
  }
  const assigned = rows.flatMap((r) =>
    r.userId ? [{ userId: r.userId, serialNumber: r.serialNumber }] : [],
  );
  await writeAudit(tx, {
    action: "admin.hardware_tokens.imported",
    outcome: "success",
    actorId: actor.id,
    ip: actor.ip,
    userAgent: actor.userAgent,
    details: { imported: rows.length, assigned: assigned.length, reason: actor.reason },
  });
  return { ok: true, imported: rows.length, assigned };
}

export type TokenState = "available" | "assigned" | "active";

export type TokenView = {
  id: string;
  serialNumber: string;
  manufacturer: string | null;
  model: string | null;
  periodSeconds: number;
  state: TokenState;
  assignee: { id: string; displayName: string; email: string } | null;
  importedAt: Date;
  activatedAt: Date | null;
};

export const TOKEN_PAGE_SIZE = 50;

/**
 * The inventory, by serial number, one page after `afterSerial` (keyset). Never a secret: the
 * secret column is read only where a code is checked.
 */
export async function listTokens(
  db: Executor,
  options: { afterSerial?: string; state?: TokenState; limit?: number } = {},
): Promise<{ items: TokenView[]; nextSerial: string | null }> {
  const limit = Math.max(1, Math.min(options.limit ?? TOKEN_PAGE_SIZE, 200));
  const stateCondition = {
    available: isNull(hardwareTokens.userId),
    assigned: and(isNotNull(hardwareTokens.userId), isNull(hardwareTokens.methodId)),
    active: isNotNull(hardwareTokens.methodId),
  };
  const rows = await db
    .select({
      id: hardwareTokens.id,
      serialNumber: hardwareTokens.serialNumber,
      manufacturer: hardwareTokens.manufacturer,
      model: hardwareTokens.model,
      periodSeconds: hardwareTokens.periodSeconds,
      methodId: hardwareTokens.methodId,
      importedAt: hardwareTokens.importedAt,
      activatedAt: hardwareTokens.activatedAt,
      userId: users.id,
      displayName: users.displayName,
      email: users.email,
    })
    .from(hardwareTokens)
    .leftJoin(users, eq(users.id, hardwareTokens.userId))
    .where(
      and(
        options.afterSerial ? gt(hardwareTokens.serialNumber, options.afterSerial) : undefined,
        options.state ? stateCondition[options.state] : undefined,
      ),
    )
    .orderBy(asc(hardwareTokens.serialNumber))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  return {
    items: page.map((r) => ({
      id: r.id,
      serialNumber: r.serialNumber,
      manufacturer: r.manufacturer,
      model: r.model,
      periodSeconds: r.periodSeconds,
      state: r.methodId ? "active" : r.userId ? "assigned" : "available",
      assignee: r.userId ? { id: r.userId, displayName: r.displayName!, email: r.email! } : null,
      importedAt: r.importedAt,
      activatedAt: r.activatedAt,
    })),
    nextSerial: rows.length > limit ? (page.at(-1)?.serialNumber ?? null) : null,
  };
}

/** Tokens nobody holds, for the "Assign hardware token" dialog. */
export async function listAvailableTokens(
  db: Executor,
  limit = 200,
): Promise<{ id: string; serialNumber: string; model: string | null }[]> {
  return db
    .select({
      id: hardwareTokens.id,
      serialNumber: hardwareTokens.serialNumber,
      model: hardwareTokens.model,
    })
    .from(hardwareTokens)
    .where(isNull(hardwareTokens.userId))
    .orderBy(asc(hardwareTokens.serialNumber))
    .limit(limit);
}

/**
 * Assigns a free token to a person in the caller's transaction; null when the token does not
 * exist or someone already holds it (a conditional UPDATE: two agents cannot both win). The
 * caller audits and notifies (recordAgentAction).
 */
export async function assignToken(
  tx: Executor,
  tokenId: string,
  userId: string,
): Promise<{ id: string; serialNumber: string; model: string | null } | null> {
  if (!isUuid(tokenId)) return null;
  const [row] = await tx
    .update(hardwareTokens)
    .set({ userId, assignedAt: sql`now()`, methodId: null, activatedAt: null })
    .where(and(eq(hardwareTokens.id, tokenId), isNull(hardwareTokens.userId)))
    .returning({
      id: hardwareTokens.id,
      serialNumber: hardwareTokens.serialNumber,
      model: hardwareTokens.model,
    });
  return row ?? null;
}

/** A token holder as the console acts on them: whom to tell, and the role the agent's rights hang on. */
export type TokenHolder = { id: string; email: string; displayName: string; role: Role };

const holderColumns = {
  id: users.id,
  email: users.email,
  displayName: users.displayName,
  role: users.role,
};

/** The people with these ids, for the tokens listed or imported for them. */
export async function getTokenHolders(db: Executor, userIds: string[]): Promise<TokenHolder[]> {
  if (userIds.length === 0) return [];
  return db.select(holderColumns).from(users).where(inArray(users.id, userIds));
}

/** Who holds this token, or null when it is not assigned (or does not exist). */
export async function getTokenHolder(db: Executor, tokenId: string): Promise<TokenHolder | null> {
  const [holder] = await db
    .select(holderColumns)
    .from(hardwareTokens)
    .innerJoin(users, eq(users.id, hardwareTokens.userId))
    .where(eq(hardwareTokens.id, tokenId));
  return holder ?? null;
}

/** The tokens assigned to a person and not yet activated (Security info's "Activate"). */
export async function listTokensToActivate(
  db: Executor,
  userId: string,
): Promise<{ id: string; serialNumber: string; model: string | null }[]> {
  return db
    .select({
      id: hardwareTokens.id,
      serialNumber: hardwareTokens.serialNumber,
      model: hardwareTokens.model,
    })
    .from(hardwareTokens)
    .where(and(eq(hardwareTokens.userId, userId), isNull(hardwareTokens.methodId)))
    .orderBy(asc(hardwareTokens.serialNumber));
}

/**
 * Takes every token back from a person, in the caller's transaction ("Require re-register MFA"):
 * their hardware-token methods go and the tokens become available again. Returns how many.
 */
export async function unassignHardwareTokens(tx: Executor, userId: string): Promise<number> {
  await tx
    .delete(mfaMethods)
    .where(and(eq(mfaMethods.userId, userId), eq(mfaMethods.kind, "hardware_token")));
  const freed = await tx
    .update(hardwareTokens)
    .set({ userId: null, methodId: null, assignedAt: null, activatedAt: null })
    .where(eq(hardwareTokens.userId, userId))
    .returning({ id: hardwareTokens.id });
  return freed.length;
}
