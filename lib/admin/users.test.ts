import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, authThrottles, mfaMethods, users } from "@/lib/db/schema";
import { createTestDatabase } from "@/lib/testing/test-database";
import {
  checkUserImport,
  createUserByAgent,
  getAdminUser,
  importUsers,
  searchUsers,
  searchUsersQuery,
  USER_PAGE_SIZE,
} from "./users";

const context = { ip: "192.0.2.81", userAgent: "vitest" };
let database: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.dispose();
});

// Accounts inserted directly: the search reads only these columns, and argon2 is not under test.
async function addUser(
  email: string,
  displayName: string,
  extra: Partial<typeof users.$inferInsert> = {},
): Promise<string> {
  const [row] = await database.db
    .insert(users)
    .values({ email, displayName, ...extra })
    .returning({ id: users.id });
  return row!.id;
}

const emailsOf = async (search: Parameters<typeof searchUsers>[1]) =>
  (await searchUsers(database.db, search)).items.map((u) => u.email);

/** The plan PostgreSQL (or PGlite) chooses for a query, as text. */
async function explain(query: { toSQL: () => { sql: string; params: unknown[] } }) {
  const { sql: text, params } = query.toSQL();
  const statement = `explain ${text}`;
  const rows =
    database.driver === "postgres"
      ? (await database.pool!.query(statement, params)).rows
      : (
          await (
            database.db as unknown as {
              $client: {
                query: (s: string, p: unknown[]) => Promise<{ rows: Record<string, string>[] }>;
              };
            }
          ).$client.query(statement, params)
        ).rows;
  return rows.map((r) => r["QUERY PLAN"]).join("\n");
}

describe("searching users", () => {
  beforeAll(async () => {
    await addUser("Grace.Hopper@Example.edu", "Grace Hopper");
    await addUser("alan.turing@example.edu", "Alan Turing", { role: "helpdesk" });
    await addUser("ada.lovelace@example.edu", "Ada Lovelace", { role: "admin" });
    await addUser("katherine.johnson@example.edu", "Katherine Johnson", { status: "disabled" });
    await addUser("under_score@example.edu", "Percent 50% Person");
    await addUser("underxscore@example.edu", "Plain Person");
  });

  it("finds any part of a name or email, ignoring case, from three characters", async () => {
    expect(await emailsOf({ q: "HOPP" })).toEqual(["Grace.Hopper@Example.edu"]);
    expect(await emailsOf({ q: "lovelace@" })).toEqual(["ada.lovelace@example.edu"]);
    expect(await emailsOf({ q: "ring" })).toEqual(["alan.turing@example.edu"]);
    expect(await emailsOf({ q: "e johnson" })).toEqual(["katherine.johnson@example.edu"]);
    expect(await emailsOf({ q: "nobody-here" })).toEqual([]);
  });

  it("matches only the start of an email, a name or a word of it below three characters", async () => {
    expect(await emailsOf({ q: "Gr" })).toEqual(["Grace.Hopper@Example.edu"]);
    // "tu" starts Turing's surname only; "ce" is inside names and emails but starts none.
    expect(await emailsOf({ q: "tu" })).toEqual(["alan.turing@example.edu"]);
    expect(await emailsOf({ q: "ce" })).toEqual([]);
    expect(await emailsOf({ q: "a" })).toEqual([
      "ada.lovelace@example.edu",
      "alan.turing@example.edu",
    ]);
  });

  it("treats LIKE wildcards in the search as the characters themselves", async () => {
    expect(await emailsOf({ q: "under_s" })).toEqual(["under_score@example.edu"]);
    expect(await emailsOf({ q: "50%" })).toEqual(["under_score@example.edu"]);
    expect(await emailsOf({ q: "%%%" })).toEqual([]);
  });

  it("filters by role, status, registered methods and locks", async () => {
    expect(await emailsOf({ role: "helpdesk" })).toEqual(["alan.turing@example.edu"]);
    expect(await emailsOf({ status: "disabled" })).toEqual(["katherine.johnson@example.edu"]);

    const [ada] = await database.db
      .select({ id: users.id })
      .from(users)
      .where(eq(users.email, "ada.lovelace@example.edu"));
    await database.db.insert(mfaMethods).values({
      userId: ada!.id,
      kind: "authenticator_app",
      label: "Phone",
      status: "active",
    });
    expect(await emailsOf({ mfa: "registered" })).toEqual(["ada.lovelace@example.edu"]);
    expect(await emailsOf({ mfa: "not_registered", q: "ada" })).toEqual([]);

    await database.db.insert(authThrottles).values([
      {
        scope: "password:account",
        key: "grace.hopper@example.edu",
        failures: 5,
        lockedUntil: new Date(Date.now() + 600_000),
      },
      // An expired lock is no lock.
      {
        scope: "password:account",
        key: "alan.turing@example.edu",
        failures: 5,
        lockedUntil: new Date(Date.now() - 1000),
      },
      {
        scope: "mfa:account",
        key: ada!.id,
        failures: 10,
        lockedUntil: new Date(Date.now() + 600_000),
      },
    ]);
    expect(await emailsOf({ locked: true })).toEqual([
      "ada.lovelace@example.edu",
      "Grace.Hopper@Example.edu",
    ]);
    const rows = (await searchUsers(database.db, { q: "example.edu" })).items;
    expect(rows.find((r) => r.email.startsWith("alan"))).toMatchObject({ locked: false });
    expect(rows.find((r) => r.email.startsWith("Grace"))).toMatchObject({
      locked: true,
      mfaRegistered: false,
      role: "user",
      status: "active",
    });
    expect(await emailsOf({ locked: false, q: "ada" })).toEqual([]);
  });

  it("pages by keyset on the email, without repeats or gaps, and ignores a forged cursor", async () => {
    const all = await emailsOf({ limit: 200 });
    const seen: string[] = [];
    let after: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await searchUsers(database.db, { limit: 2, after });
      seen.push(...page.items.map((u) => u.email));
      if (!page.nextCursor) break;
      after = page.nextCursor;
    }
    expect(seen).toEqual(all);
    expect(await emailsOf({ after: "not a cursor!", limit: 200 })).toEqual(all);
  });

  it("shows one account by id, never a secret, and nothing for a malformed id", async () => {
    const id = await addUser("detail.person@example.edu", "Detail Person", {
      passwordHash: "$argon2id$not-shown",
      mustChangePassword: true,
    });
    const detail = await getAdminUser(database.db, id);
    expect(detail).toMatchObject({
      email: "detail.person@example.edu",
      hasPassword: true,
      mustChangePassword: true,
      passwordLockedUntil: null,
      mfaLockedUntil: null,
    });
    expect(JSON.stringify(detail)).not.toContain("argon2");
    expect(await getAdminUser(database.db, "1' or '1'='1")).toBeNull();
    expect(await getAdminUser(database.db, "00000000-0000-4000-8000-000000000000")).toBeNull();
  });
});

describe("creating a user", () => {
  const agent = { id: "", ip: "192.0.2.82" };
  beforeAll(async () => {
    agent.id = await addUser("creating.agent@example.edu", "Creating Agent", { role: "helpdesk" });
  });

  it("gives a generated password once, to be changed at the first sign-in", async () => {
    const created = await createUserByAgent(
      database.db,
      { email: "made.by.agent@example.edu", displayName: "Made By Agent", role: "user" },
      agent,
    );
    expect(created).toMatchObject({ ok: true, password: expect.stringMatching(/^\S{16,}$/) });
    const [row] = await database.db
      .select({ mustChangePassword: users.mustChangePassword, passwordHash: users.passwordHash })
      .from(users)
      .where(eq(users.email, "made.by.agent@example.edu"));
    expect(row?.mustChangePassword).toBe(true);
    expect(row?.passwordHash).not.toContain(created.ok ? created.password : "?");
  });

  it("refuses an email that is taken in any case, and changes nothing", async () => {
    await addUser("already.here@example.edu", "Already Here");
    const before = await database.db.select({ n: sql<number>`count(*)::int` }).from(auditLog);
    const created = await createUserByAgent(
      database.db,
      { email: "Already.Here@EXAMPLE.edu", displayName: "Someone Else", role: "admin" },
      agent,
    );
    expect(created).toEqual({ ok: false, reason: "email_taken" });
    const rows = await database.db
      .select({ displayName: users.displayName, role: users.role })
      .from(users)
      .where(sql`lower(${users.email}) = 'already.here@example.edu'`);
    expect(rows).toEqual([{ displayName: "Already Here", role: "user" }]);
    const after = await database.db.select({ n: sql<number>`count(*)::int` }).from(auditLog);
    expect(after).toEqual(before);
  });
});

describe("importing users from CSV", () => {
  const header = "email,name,role,mfa_required";

  it("reports every bad row with its line number and imports nothing", async () => {
    await addUser("taken@example.edu", "Taken");
    const csv = [
      header,
      "new.one@example.edu,New One,user,yes",
      "not-an-email,Bad Email,user,yes",
      "",
      "TAKEN@example.edu,Exists Already,user,",
      "new.two@example.edu,,user,no",
      "new.three@example.edu,Three,superuser,no",
      "new.one@EXAMPLE.edu,Again,user,no",
      "new.four@example.edu,Four,user,maybe",
      "new.five@example.edu,Five,admin",
      '"new.six@example.edu","Six, Esq.",helpdesk,no',
    ].join("\r\n");
    const check = await checkUserImport(database.db, csv, ["user", "helpdesk"]);
    expect(check).toEqual({
      ok: false,
      reason: "invalid_file",
      rowCount: 9,
      problems: [
        { line: 3, problem: "Enter a valid email address." },
        { line: 5, problem: "An account with this email exists already." },
        { line: 6, problem: "Enter a name of at most 100 characters." },
        { line: 7, problem: "Role must be one of user, helpdesk, admin." },
        { line: 8, problem: "The email repeats line 2." },
        { line: 9, problem: 'mfa_required must be yes or no, not "maybe".' },
        { line: 10, problem: "Expected 4 values, found 3." },
      ],
    });
    const before = await database.db.select({ id: users.id }).from(users);
    const result = await importUsers(
      database.db,
      csv,
      { id: before[0]!.id, allowedRoles: ["user"] },
      context,
    );
    expect(result.ok).toBe(false);
    const after = await database.db.select({ id: users.id }).from(users);
    expect(after.length).toBe(before.length);
  });

  it("refuses a role the importing agent may not give, a wrong header and a file too long", async () => {
    const roleCheck = await checkUserImport(
      database.db,
      `${header}\nboss@example.edu,Boss,admin,yes`,
      ["user"],
    );
    expect(roleCheck).toMatchObject({
      ok: false,
      reason: "invalid_file",
      problems: [{ line: 2, problem: "You cannot give the role admin." }],
    });
    expect(
      await checkUserImport(database.db, "mail,name\nx@example.edu,X", ["user"]),
    ).toMatchObject({
      ok: false,
      reason: "invalid_file",
      problems: [{ line: 1 }],
    });
    const long = [
      header,
      ...Array.from({ length: 1001 }, (_, i) => `p${i}@example.edu,P ${i},user,yes`),
    ];
    expect(await checkUserImport(database.db, long.join("\n"), ["user"])).toMatchObject({
      ok: false,
      reason: "invalid_file",
      rowCount: 1001,
    });
    expect(await checkUserImport(database.db, '"unclosed,quote\n', ["user"])).toMatchObject({
      ok: false,
      reason: "invalid_file",
    });
  });

  it("imports a clean file in one go, audited, with no password on the new accounts", async () => {
    const actorId = await addUser("importer@example.edu", "Importer", { role: "admin" });
    const csv = `\uFEFF${header}\nfresh.one@example.edu,Fresh One,user,yes\nfresh.two@example.edu,Fresh Two,helpdesk,no\n`;
    const check = await checkUserImport(database.db, csv, ["user", "helpdesk", "admin"]);
    expect(check.ok).toBe(true);
    const result = await importUsers(
      database.db,
      csv,
      { id: actorId, allowedRoles: ["user", "helpdesk", "admin"] },
      context,
    );
    expect(result).toEqual({ ok: true, created: 2 });
    const created = await database.db
      .select({
        email: users.email,
        role: users.role,
        mfaRequired: users.mfaRequired,
        passwordHash: users.passwordHash,
      })
      .from(users)
      .where(sql`${users.email} like 'fresh.%'`)
      .orderBy(users.email);
    expect(created).toEqual([
      { email: "fresh.one@example.edu", role: "user", mfaRequired: true, passwordHash: null },
      { email: "fresh.two@example.edu", role: "helpdesk", mfaRequired: false, passwordHash: null },
    ]);
    const audits = await database.db
      .select({ action: auditLog.action, details: auditLog.details })
      .from(auditLog)
      .where(eq(auditLog.actorId, actorId));
    expect(audits.filter((a) => a.action === "user.created")).toHaveLength(2);
    expect(audits).toContainEqual({ action: "admin.users.imported", details: { created: 2 } });
    // The same file again: every row exists now, and nothing more is created.
    expect(
      await importUsers(
        database.db,
        csv,
        { id: actorId, allowedRoles: ["user", "helpdesk", "admin"] },
        context,
      ),
    ).toMatchObject({ ok: false });
  });
});

describe("searching 100,000 users", () => {
  const SEEDED = 100_000;

  beforeAll(async () => {
    const started = performance.now();
    // One statement: names and emails that differ per row, a few roles and disabled accounts.
    await database.db.execute(sql`
      insert into users (email, display_name, role, status)
      select 'person' || n || '.' || md5(n::text) || '@bulk.example.edu',
             initcap(substr(md5(n::text), 1, 6)) || ' ' || initcap(substr(md5((n * 7)::text), 1, 9)),
             (case when n % 1000 = 0 then 'helpdesk' else 'user' end)::role,
             (case when n % 97 = 0 then 'disabled' else 'active' end)::user_status
      from generate_series(1, ${SEEDED}) as n`);
    await database.db.execute(sql`analyze users`);
    console.info(`seeded ${SEEDED} users in ${Math.round(performance.now() - started)} ms`);
  }, 300_000);

  async function timed<T>(label: string, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const result = await run();
    console.info(`${label}: ${(performance.now() - started).toFixed(1)} ms`);
    return result;
  }

  it("finds a substring of an email or a name through the trigram indexes", async () => {
    const target = 73_219;
    const [row] = await database.db
      .select({ email: users.email, displayName: users.displayName })
      .from(users)
      .where(sql`${users.email} like ${`person${target}.%`}`);
    const emailPart = row!.email.slice(row!.email.indexOf(".") + 3, row!.email.indexOf(".") + 15);
    const hits = await timed("substring of an email (12 chars)", () =>
      searchUsers(database.db, { q: emailPart.toUpperCase() }),
    );
    expect(hits.items.map((u) => u.email)).toContain(row!.email);
    const plan = await explain(searchUsersQuery(database.db, { q: emailPart }, USER_PAGE_SIZE));
    expect(plan).toMatch(/users_email_trgm_idx/);
    expect(plan).toMatch(/users_name_trgm_idx/);
    expect(plan).not.toMatch(/Seq Scan on users/);

    const surname = row!.displayName.split(" ")[1]!;
    const byName = await timed("substring of a name", () =>
      searchUsers(database.db, { q: surname.slice(1, 7).toLowerCase() }),
    );
    expect(byName.items.length).toBeGreaterThan(0);
    expect(
      byName.items.every((u) =>
        (u.displayName + u.email).toLowerCase().includes(surname.slice(1, 7).toLowerCase()),
      ),
    ).toBe(true);
  });

  it("serves a short prefix and an unfiltered page without scanning the table", async () => {
    const prefix = await timed("two-letter prefix", () => searchUsers(database.db, { q: "pe" }));
    expect(prefix.items).toHaveLength(USER_PAGE_SIZE);
    expect(prefix.nextCursor).not.toBeNull();
    const prefixPlan = await explain(searchUsersQuery(database.db, { q: "pe" }, USER_PAGE_SIZE));
    expect(prefixPlan).toMatch(/users_(email|name)_(trgm|lower)_idx/);

    const first = await timed("first page, no search", () => searchUsers(database.db, {}));
    const second = await timed("a later page by keyset", () =>
      searchUsers(database.db, { after: first.nextCursor! }),
    );
    expect(second.items[0]!.email.toLowerCase() > first.items.at(-1)!.email.toLowerCase()).toBe(
      true,
    );
    const pagePlan = await explain(
      searchUsersQuery(database.db, { after: first.nextCursor! }, USER_PAGE_SIZE),
    );
    expect(pagePlan).toMatch(/users_email_lower_idx/);
    expect(pagePlan).not.toMatch(/Seq Scan on users/);

    await timed("a role filter", () => searchUsers(database.db, { role: "helpdesk" }));
    await timed("a substring matching every row", () =>
      searchUsers(database.db, { q: "bulk.example" }),
    );
  });
});
