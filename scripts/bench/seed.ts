import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { ensureSignInEventPartitions } from "../../lib/activity/sign-in-event-partitions";
import { hashPassword } from "../../lib/security/password";
import { openDatabase, type Database } from "../../lib/db/client";
import { releaseDataFolderLock } from "../../lib/db/data-folder-lock";
import { createLocalDatabase } from "../../lib/db/local-database";
import { migrateDatabase } from "../../lib/db/migrate";
import { mfaMethods } from "../../lib/db/schema";
import { newTotpSecret } from "../../lib/mfa/totp";
import { seal } from "../../lib/security/sealing";

// Seeds a database of its own for the benchmark: never the developer's data folder or database.
// Rows are made in SQL with generate_series (a million events in one statement each), the
// password hash is computed once and shared, and only the accounts the benchmark signs in with
// get real, sealed authenticator secrets.

export type Scale = { users: number; events: number };

export type BenchAccount = { email: string; secret: string; methodId: string };

/** What the benchmark needs to sign in and to start servers on the seeded data. */
export type BenchState = {
  scale: Scale;
  driver: "pglite" | "postgres";
  /** DATA_DIR for the servers (on PostgreSQL it holds nothing but is never the developer's). */
  dataDir: string;
  /** DATABASE_URL of the bench database on PostgreSQL. */
  databaseUrl?: string;
  authSecret: string;
  /** SEALING_KEYS value. */
  sealingKeys: string;
  password: string;
  /** Signs in for the page measurements; has a full page of sign-ins and more. */
  reader: BenchAccount;
  admin: BenchAccount;
  /** Many accounts, so the password and code steps never meet a per-account limit. */
  signers: BenchAccount[];
  seededAt: string;
};

/** Events the reader owns, so /sign-ins shows full pages with more behind them. */
const READER_EVENTS = 400;

const FIRST_NAMES = [
  "Alex", "Sam", "Harper", "Ada", "Jordan", "Priya", "Chen", "Fatima", "Lucas", "Maya",
  "Omar", "Sofia", "Noah", "Aisha", "Liam", "Zara", "Ethan", "Ines", "Kenji", "Amara",
  "Mateo", "Freya", "Ravi", "Elif", "Tom", "Nadia", "Jonas", "Leila", "Owen", "Yuki",
  "Caleb", "Rosa", "Hugo", "Mei", "Isaac", "Lena", "Felix", "Anya", "Diego", "Hana",
]; // prettier-ignore
const LAST_NAMES = [
  "Morgan", "Okafor", "Lee", "Lovelace", "Patel", "Nguyen", "Smith", "Garcia", "Kowalski", "Haddad",
  "Brown", "Silva", "Kim", "Jones", "Rossi", "Murphy", "Novak", "Tanaka", "Hassan", "Dubois",
  "Walker", "Costa", "Ahmed", "Fischer", "Evans", "Ivanova", "Clarke", "Moreau", "Singh", "Berg",
  "Taylor", "Mensah", "Wright", "Yilmaz", "Hughes", "Larsen", "Khan", "Romano", "Scott", "Adeyemi",
  "King", "Lopez", "Green", "Sato", "Baker", "Petrov", "Hall", "Ortiz", "Young", "Mwangi",
]; // prettier-ignore

// Where sign-ins come from: an address prefix, its place and network as the IP data gives them.
const PLACES = [
  ["81.2.69.", "GB", "United Kingdom", "London", 51.5142, -0.0931, 20712, "Andrews & Arnold Ltd"],
  ["86.128.14.", "GB", "United Kingdom", "Manchester", 53.4809, -2.2374, 2856, "British Telecommunications PLC"],
  ["92.40.176.", "GB", "United Kingdom", "Leeds", 53.7965, -1.5479, 12576, "EE Limited"],
  ["151.224.9.", "GB", "United Kingdom", "Birmingham", 52.4814, -1.8998, 5607, "Sky UK Limited"],
  ["77.97.12.", "GB", "United Kingdom", "Bristol", 51.4545, -2.5879, 5089, "Virgin Media Limited"],
  ["31.94.4.", "GB", "United Kingdom", "Glasgow", 55.8609, -4.2514, 206067, "Three UK"],
  ["2.24.77.", "GB", "United Kingdom", "Oxford", 51.752, -1.2577, 5378, "Vodafone Limited"],
  ["84.17.41.", "DE", "Germany", "Frankfurt am Main", 50.1109, 8.6821, 60068, "Datacamp Limited"],
  ["90.84.200.", "FR", "France", "Paris", 48.8566, 2.3522, 3215, "Orange S.A."],
  ["73.162.3.", "US", "United States", "San Jose", 37.3382, -121.8863, 7922, "Comcast Cable Communications, LLC"],
  ["49.36.88.", "IN", "India", "Mumbai", 19.076, 72.8777, 55836, "Reliance Jio Infocomm Limited"],
  ["1.145.3.", "AU", "Australia", "Sydney", -33.8688, 151.2093, 1221, "Telstra Limited"],
] as const; // prettier-ignore

const AGENTS = [
  ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome", "Windows", "desktop"],
  ["Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15", "Safari", "macOS", "desktop"],
  ["Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1", "Mobile Safari", "iOS", "mobile"],
  ["Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", "Chrome", "Android", "mobile"],
  ["Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox", "Windows", "desktop"],
  ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "Edge", "Windows", "desktop"],
  ["Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox", "Linux", "desktop"],
  ["Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1", "Mobile Safari", "iOS", "tablet"],
] as const; // prettier-ignore

const sqlText = (value: string) => `'${value.replace(/'/g, "''")}'`;
const sqlArray = (values: readonly (string | number)[]) =>
  `array[${values.map((v) => (typeof v === "number" ? String(v) : sqlText(v))).join(",")}]`;

function column<T extends readonly (string | number)[]>(rows: readonly T[], index: number) {
  return rows.map((row) => row[index]!) as (string | number)[];
}

/** The name of a bench database on PostgreSQL for one scale. */
export function benchDatabaseName(scale: Scale): string {
  return `factor_bench_u${scale.users}_e${scale.events}`;
}

/** The bench folder for one scale and driver, under `bench-data/` (gitignored). */
export function benchDir(scale: Scale, driver: "pglite" | "postgres"): string {
  return path.resolve("bench-data", `${driver}-u${scale.users}-e${scale.events}`);
}

/**
 * The seeded database for a scale: reused when a previous run seeded it (state file present),
 * otherwise created from nothing. `signers` accounts can sign in with password and code.
 */
export async function prepareBenchDatabase(options: {
  scale: Scale;
  signers: number;
  postgresUrl?: string;
  fresh?: boolean;
  log?: (line: string) => void;
}): Promise<BenchState> {
  const log = options.log ?? console.log;
  const driver = options.postgresUrl ? "postgres" : "pglite";
  const dir = benchDir(options.scale, driver);
  const stateFile = path.join(dir, "bench-state.json");
  if (!options.fresh && existsSync(stateFile)) {
    const state = JSON.parse(readFileSync(stateFile, "utf8")) as BenchState;
    if (state.signers.length >= options.signers) {
      log(`Reusing the ${driver} bench database seeded ${state.seededAt} (${dir}).`);
      return state;
    }
  }
  mkdirSync(dir, { recursive: true });
  let databaseUrl: string | undefined;
  let database: Database;
  if (options.postgresUrl) {
    databaseUrl = await createLocalDatabase(options.postgresUrl, benchDatabaseName(options.scale));
    database = await openDatabase({ driver: "postgres", url: databaseUrl, poolSize: 2 });
  } else {
    rmSync(path.join(dir, "pglite"), { recursive: true, force: true });
    database = await openDatabase({ driver: "pglite", dataDir: dir });
  }
  try {
    const state = await seed(database, {
      ...options,
      driver,
      dir,
      databaseUrl,
      log,
    });
    writeFileSync(stateFile, JSON.stringify(state, null, 2), { mode: 0o600 });
    return state;
  } finally {
    await database.close();
    if (!options.postgresUrl) releaseDataFolderLock(dir);
  }
}

async function seed(
  database: Database,
  options: {
    scale: Scale;
    signers: number;
    driver: "pglite" | "postgres";
    dir: string;
    databaseUrl?: string;
    log: (line: string) => void;
  },
): Promise<BenchState> {
  const { db } = database;
  const { users: userCount, events: eventCount } = options.scale;
  const signerCount = Math.min(options.signers, userCount - 1);
  const started = Date.now();
  const step = (label: string) =>
    options.log(`  ${label} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  options.log(`Seeding ${userCount} people and ${eventCount} sign-in events on ${options.driver}…`);
  await migrateDatabase(database);
  step("migrated");

  const password = randomBytes(18).toString("base64url");
  const passwordHash = await hashPassword(password);
  const sealingKey = { id: "bench", key: randomBytes(32) };
  const authSecret = randomBytes(32).toString("base64url");

  // Person n (1-based): "bench.<n>" for the first accounts the benchmark signs in with, then
  // "<first>.<last>.<n>"; the reader is n = 1 and the administrator is one more.
  await db.execute(
    sql.raw(`
    insert into users (email, display_name, role, mfa_required, password_hash, password_changed_at, created_at, updated_at)
    select
      case when g <= ${signerCount + 1} then 'bench.' || g
        else lower((${sqlArray(FIRST_NAMES)})[1 + g % ${FIRST_NAMES.length}] || '.' ||
          (${sqlArray(LAST_NAMES)})[1 + (g / ${FIRST_NAMES.length}) % ${LAST_NAMES.length}]) || '.' || g
      end || '@bench.example.edu',
      (${sqlArray(FIRST_NAMES)})[1 + g % ${FIRST_NAMES.length}] || ' ' ||
        (${sqlArray(LAST_NAMES)})[1 + (g / ${FIRST_NAMES.length}) % ${LAST_NAMES.length}],
      case when g = ${userCount} then 'admin'::role when g % 500 = 0 then 'helpdesk'::role else 'user'::role end,
      true,
      ${sqlText(passwordHash)},
      now() - (g % 400) * interval '1 day',
      now() - (g % 700) * interval '1 day',
      now() - (g % 400) * interval '1 day'
    from generate_series(1, ${userCount}) g`),
  );
  await db.execute(
    sql.raw(
      `update users set email = 'bench.admin@bench.example.edu' where email like '%.${userCount}@bench.example.edu'`,
    ),
  );
  step(`${userCount} people`);

  // A numbering of the people for the joins below.
  await db.execute(
    sql.raw(
      `create temporary table bench_people as select (row_number() over (order by created_at desc, email))::int as n, id, email from users`,
    ),
  );
  await db.execute(sql.raw(`create unique index on bench_people (n)`));

  // Everyone has an authenticator app; one in five a second device. Only the accounts the
  // benchmark signs in with have secrets that open (sealed with the bench key, bound to the id).
  const accountsByEmail = new Map<string, BenchAccount>();
  const wanted = [
    "bench.admin@bench.example.edu",
    ...Array.from({ length: signerCount }, (_, i) => `bench.${i + 1}@bench.example.edu`),
  ];
  const rows = wanted.map((email) => {
    const secret = newTotpSecret();
    const methodId = randomUUID();
    accountsByEmail.set(email, { email, secret, methodId });
    return { email, secret, methodId };
  });
  const ids = await db.execute<{ id: string; email: string }>(
    sql.raw(
      `select id, email from users where email like 'bench.%@bench.example.edu' order by email`,
    ),
  );
  const idOf = new Map(ids.rows.map((row) => [row.email, row.id]));
  for (let i = 0; i < rows.length; i += 500) {
    await db.insert(mfaMethods).values(
      rows.slice(i, i + 500).map((row) => ({
        id: row.methodId,
        userId: idOf.get(row.email)!,
        kind: "authenticator_app",
        label: "Phone",
        status: "active" as const,
        secretSealed: seal(row.secret, row.methodId, [sealingKey]),
        isDefault: true,
        confirmedAt: new Date(Date.now() - 30 * 86_400_000),
        lastUsedAt: new Date(Date.now() - 86_400_000),
      })),
    );
  }
  await db.execute(
    sql.raw(`
    insert into mfa_methods (user_id, kind, label, status, is_default, created_at, confirmed_at, last_used_at)
    select p.id, 'authenticator_app', 'Phone', 'active', true, now() - (p.n % 300) * interval '1 day',
      now() - (p.n % 300) * interval '1 day', now() - (p.n % 20) * interval '1 day'
    from bench_people p where p.email not like 'bench.%'`),
  );
  await db.execute(
    sql.raw(`
    insert into mfa_methods (user_id, kind, label, status, is_default, created_at, confirmed_at)
    select p.id, 'authenticator_app', 'Laptop', 'active', false, now() - (p.n % 200) * interval '1 day',
      now() - (p.n % 200) * interval '1 day'
    from bench_people p where p.n % 5 = 0 and p.email not like 'bench.%'`),
  );
  step("methods");

  // Live and ended sessions for a third of the people.
  await db.execute(
    sql.raw(`
    insert into sessions (id, user_id, aal, methods, authenticated_at, second_factor_at, persistent, ip, user_agent, created_at, last_seen_at, idle_expires_at, absolute_expires_at, revoked_at, revoked_reason)
    select encode(sha256(convert_to('bench-session-' || p.n, 'UTF8')), 'hex'), p.id, 2, '["pwd","otp"]'::jsonb,
      now() - (p.n % 48) * interval '1 hour', now() - (p.n % 48) * interval '1 hour', p.n % 2 = 0,
      (${sqlArray(column(PLACES, 0))})[1 + p.n % ${PLACES.length}] || (1 + p.n % 250),
      (${sqlArray(column(AGENTS, 0))})[1 + p.n % ${AGENTS.length}],
      now() - (p.n % 48) * interval '1 hour', now() - (p.n % 60) * interval '1 minute',
      now() + interval '20 minutes', now() + interval '6 hours',
      case when p.n % 7 = 0 then now() - interval '1 hour' end,
      case when p.n % 7 = 0 then 'signed_out' end
    from bench_people p where p.n % 3 = 0`),
  );
  step("sessions");

  // Sign-in events over 90 days: the reader's first, then everyone's, in slices so progress
  // shows. Mostly successes from a person's usual places, some failures, abandoned second
  // steps and a few unusual sign-ins.
  const reader = accountsByEmail.get("bench.1@bench.example.edu")!;
  const readerN = await db.execute<{ n: number }>(
    sql.raw(`select n from bench_people where email = ${sqlText(reader.email)}`),
  );
  const readerPerson = readerN.rows[0]!.n;
  const slice = 200_000;
  const readerEvents = Math.min(READER_EVENTS, eventCount);
  // Each month's partition first, so the events go straight to their month and none waits in
  // the default partition to be moved.
  const clock = await db.execute<{ ms: number }>(
    sql.raw(`select (extract(epoch from now()) * 1000)::float8 as ms`),
  );
  const seededTo = new Date(Number(clock.rows[0]!.ms));
  await ensureSignInEventPartitions(db, {
    from: new Date(seededTo.getTime() - 90 * 86_400_000),
    to: seededTo,
  });
  for (let from = 1; from <= eventCount; from += slice) {
    const to = Math.min(eventCount, from + slice - 1);
    await db.execute(
      sql.raw(`
      insert into sign_in_events (user_id, at, result, reason, methods, ip, country_code, country_name, city, latitude, longitude, asn, isp, user_agent, browser, os, device_type, risk_level, risk_reasons)
      select p.id, e.at,
        case when e.g % 20 = 0 then 'failure' when e.g % 33 = 0 then 'interrupted' else 'success' end,
        case when e.g % 20 = 0 then 'wrong_password' when e.g % 33 = 0 then 'mfa_abandoned' else 'signed_in' end,
        case when e.g % 20 = 0 or e.g % 33 = 0 then '["pwd"]'::jsonb else '["pwd","otp"]'::jsonb end,
        (${sqlArray(column(PLACES, 0))})[e.place] || (1 + e.g % 250),
        (${sqlArray(column(PLACES, 1))})[e.place], (${sqlArray(column(PLACES, 2))})[e.place],
        (${sqlArray(column(PLACES, 3))})[e.place], (${sqlArray(column(PLACES, 4))}::float8[])[e.place],
        (${sqlArray(column(PLACES, 5))}::float8[])[e.place], (${sqlArray(column(PLACES, 6))})[e.place],
        (${sqlArray(column(PLACES, 7))})[e.place],
        (${sqlArray(column(AGENTS, 0))})[e.agent], (${sqlArray(column(AGENTS, 1))})[e.agent],
        (${sqlArray(column(AGENTS, 2))})[e.agent], (${sqlArray(column(AGENTS, 3))})[e.agent],
        case when e.place > 7 and e.g % 4 = 0 then 'medium' else 'none' end,
        case when e.place > 7 and e.g % 4 = 0 then '["new_country"]'::jsonb else '[]'::jsonb end
      from (
        select g,
          case when g <= ${readerEvents} then ${readerPerson} else 1 + ((g::bigint * 7919) % ${userCount})::int end as n,
          -- Spread evenly over the 90 days, in no particular order of g.
          now() - ((g::bigint * 104729) % 7776000) * interval '1 second' as at,
          -- Most sign-ins from the person's home place; one in ten from elsewhere.
          case when g % 10 = 0 then 1 + (g / 10) % ${PLACES.length}
            else 1 + ((case when g <= ${readerEvents} then ${readerPerson} else 1 + ((g::bigint * 7919) % ${userCount})::int end) % 7) end as place,
          1 + ((g / 3) % ${AGENTS.length}) as agent
        from generate_series(${from}, ${to}) g
      ) e
      join bench_people p on p.n = e.n`),
    );
    step(`${to} events`);
  }
  await db.execute(sql.raw(`drop table bench_people`));
  await db.execute(sql.raw(`analyze`));
  step("analysed");

  return {
    scale: options.scale,
    driver: options.driver,
    dataDir: options.dir,
    databaseUrl: options.databaseUrl,
    authSecret,
    sealingKeys: `${sealingKey.id}:${sealingKey.key.toString("base64")}`,
    password,
    reader,
    admin: accountsByEmail.get("bench.admin@bench.example.edu")!,
    signers: wanted.slice(1).map((email) => accountsByEmail.get(email)!),
    seededAt: new Date().toISOString(),
  };
}
