import { and, asc, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createSession } from "@/lib/auth/sessions";
import { verifyPasswordStep } from "@/lib/auth/password-step";
import { answerStaySignedIn, completeSignIn, recordSecondFactor } from "@/lib/auth/sign-in";
import { beginStepUp } from "@/lib/auth/step-up";
import { getSignInTransaction } from "@/lib/auth/sign-in-transaction";
import { auditLog, knownNetworks, outbox, sessions, signInEvents, users } from "@/lib/db/schema";
import {
  beginAuthenticatorEnrolment,
  confirmAuthenticatorEnrolment,
  getPendingEnrolment,
} from "@/lib/mfa/authenticator-app";
import { rememberBrowser } from "@/lib/mfa/remembered-browser";
import { verifySecondFactor } from "@/lib/mfa/second-factor";
import { totpCode } from "@/lib/mfa/totp";
import { hashToken } from "@/lib/security/tokens";
import { createTestDatabase } from "@/lib/testing/test-database";
import {
  finishSignInEvent,
  listSignInEvents,
  recordSignInEvent,
  setVerdict,
  signInEventsPageQuery,
  type SignInFilter,
} from "./sign-in-events";
import { purgeOldSignInEvents } from "./sign-in-event-partitions";
import { createTestUser } from "@/lib/testing/users";
import { clock } from "@/lib/clock";
import { pinClock } from "@/lib/testing/clock";

const LONDON = "81.2.69.160"; // GB, Andrews & Arnold (AS20712): an ordinary provider
const AWS = "3.5.140.2"; // AS16509, on the hosting list
const CHROME_ON_LINUX =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";

let database: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.dispose();
});

// Time stands still in each test: a code made for "now" is checked in the same 30-second step.
beforeEach(() => {
  pinClock();
});

const at = (step: number) => new Date(step * 30_000 + 1000);
const nowStep = () => Math.floor(clock.ms() / 30_000);

async function newAccount(email: string, options: { app?: boolean; mfaRequired?: boolean } = {}) {
  const { db } = database;
  const { id, password } = await createTestUser(db, {
    email,
    displayName: "Test Person",
    role: "user",
    mfaRequired: options.mfaRequired ?? false,
  });
  let secret: string | null = null;
  if (options.app) {
    await beginAuthenticatorEnrolment(db, id, "Phone");
    const pending = await getPendingEnrolment(db, id, { issuer: "Example", account: email });
    secret = pending!.secret;
    // An older step, so the current one is still free for the sign-in.
    expect(
      await confirmAuthenticatorEnrolment(db, id, await totpCode(secret, at(nowStep() - 1))),
    ).toMatchObject({ ok: true });
  }
  return { id, email, password, secret, user: { id, email, displayName: "Test Person" } };
}

function passwordStep(
  email: string,
  password: string,
  ip: string | null,
  browser: { stayChoice: boolean | null; rememberedToken?: string } = { stayChoice: null },
) {
  return verifyPasswordStep(
    database.db,
    { email, password, callbackPath: "/" },
    { ip, userAgent: CHROME_ON_LINUX },
    browser,
  );
}

const eventsOf = (userId: string) =>
  database.db
    .select()
    .from(signInEvents)
    .where(eq(signInEvents.userId, userId))
    .orderBy(asc(signInEvents.id));

describe("an event for every attempt (R-A14.1)", () => {
  it("records unknown accounts, wrong passwords, disabled accounts and locks, located", async () => {
    const account = await newAccount("failures@example.edu");
    const disabled = await newAccount("disabled-events@example.edu");
    await database.db.update(users).set({ status: "disabled" }).where(eq(users.id, disabled.id));

    expect(await passwordStep("nobody-here@example.edu", "whatever-1", LONDON)).toEqual({
      ok: false,
    });
    const [unknown] = await database.db
      .select()
      .from(signInEvents)
      .where(eq(signInEvents.reason, "unknown_account"));
    expect(unknown).toMatchObject({
      userId: null,
      result: "failure",
      ip: LONDON,
      countryCode: "GB",
      countryName: "United Kingdom",
      city: "London",
      asn: 20712,
      isp: "Andrews & Arnold Ltd",
      userAgent: CHROME_ON_LINUX,
      browser: "Chrome",
      os: "Linux",
      deviceType: "desktop",
      methods: ["pwd"],
    });

    await passwordStep(disabled.email, disabled.password, "192.0.2.10");
    expect((await eventsOf(disabled.id)).map((e) => [e.result, e.reason])).toEqual([
      ["failure", "account_disabled"],
    ]);

    // Ten different wrong passwords lock the account; the next attempt, even right, is "locked".
    for (let i = 0; i < 10; i++) await passwordStep(account.email, `wrong-${i}`, "192.0.2.11");
    expect(await passwordStep(account.email, account.password, "192.0.2.11")).toEqual({
      ok: false,
    });
    const events = await eventsOf(account.id);
    expect(events).toHaveLength(11);
    expect(events.slice(0, 10).every((e) => e.reason === "wrong_password")).toBe(true);
    expect(events[10]).toMatchObject({ result: "failure", reason: "locked", ip: "192.0.2.11" });
  });

  it("keeps a right password's event as interrupted until the sign-in finishes, then succeeds with its session", async () => {
    const account = await newAccount("finishes@example.edu", { app: true });
    const result = await passwordStep(account.email, account.password, LONDON);
    expect(result).toMatchObject({ ok: true, stage: "second_factor" });
    if (!result.ok) return;
    const transactionId = hashToken(result.transactionToken);
    expect(await eventsOf(account.id)).toMatchObject([
      { result: "interrupted", reason: "mfa_abandoned", transactionId, methods: ["pwd"] },
    ]);

    const context = { ip: LONDON, userAgent: CHROME_ON_LINUX, purpose: "sign_in" as const };
    expect(
      (await verifySecondFactor(database.db, account.user, "code", "000000", context)).ok,
    ).toBe(false);
    const code = await totpCode(account.secret!, at(nowStep()));
    expect((await verifySecondFactor(database.db, account.user, "code", code, context)).ok).toBe(
      true,
    );
    const transaction = await getSignInTransaction(database.db, result.transactionToken);
    expect(
      await recordSecondFactor(database.db, transaction!, "second_factor", "otp", {
        stayChoice: false,
      }),
    ).toBe("ready");
    const token = await completeSignIn(database.db, result.transactionToken, context);
    expect(token).not.toBeNull();

    const events = await eventsOf(account.id);
    expect(events.map((e) => [e.result, e.reason])).toEqual([
      ["success", "signed_in"],
      ["failure", "mfa_failed"],
    ]);
    expect(events[0]).toMatchObject({
      methods: ["pwd", "otp"],
      sessionId: hashToken(token!),
      transactionId: null,
      countryCode: "GB",
    });
    expect(events[1]!.methods).toEqual(["pwd", "otp"]);
    const [session] = await database.db
      .select({ id: sessions.id })
      .from(sessions)
      .where(eq(sessions.id, events[0]!.sessionId!));
    expect(session).toBeDefined();
  });

  it("records a replayed code as its own failure", async () => {
    const account = await newAccount("replayed-event@example.edu", { app: true });
    // The enrolment used the previous step: entering it again is a replay (R-A4.3).
    const replayed = await totpCode(account.secret!, at(nowStep() - 1));
    await verifySecondFactor(database.db, account.user, "code", replayed, {
      ip: "192.0.2.12",
      userAgent: null,
      purpose: "sign_in",
    });
    expect((await eventsOf(account.id)).map((e) => [e.result, e.reason])).toEqual([
      ["failure", "replayed_code"],
    ]);
  });

  it("ends a sign-in that set up its first method as 'registered'", async () => {
    const account = await newAccount("registers@example.edu", { mfaRequired: true });
    const result = await passwordStep(account.email, account.password, "192.0.2.13");
    expect(result).toMatchObject({ ok: true, stage: "registration" });
    if (!result.ok) return;
    expect((await eventsOf(account.id))[0]).toMatchObject({
      result: "interrupted",
      reason: "registration_abandoned",
    });
    const transaction = await getSignInTransaction(database.db, result.transactionToken);
    await database.db.transaction(async (tx) => {
      expect(
        await recordSecondFactor(tx, transaction!, "registration", "otp", { stayChoice: null }),
      ).toBe("stay_signed_in");
    });
    expect((await eventsOf(account.id))[0]).toMatchObject({
      result: "interrupted",
      reason: "registered",
    });
    const ready = await getSignInTransaction(database.db, result.transactionToken);
    expect(await answerStaySignedIn(database.db, ready!, false)).toBe(true);
    await completeSignIn(database.db, result.transactionToken, {
      ip: "192.0.2.13",
      userAgent: null,
    });
    expect((await eventsOf(account.id)).map((e) => [e.result, e.reason])).toEqual([
      ["success", "registered"],
    ]);
  });

  it("records a finished step-up as its own success", async () => {
    const account = await newAccount("steps-up@example.edu", { app: true });
    const context = { ip: "192.0.2.14", userAgent: null };
    const sessionToken = await createSession(database.db, {
      userId: account.id,
      aal: 2,
      methods: ["pwd", "otp"],
      authenticatedAt: new Date(),
      secondFactorAt: new Date(),
      persistent: false,
      ...context,
    });
    const token = await beginStepUp(
      database.db,
      { id: hashToken(sessionToken), persistent: false, user: { id: account.id } },
      "/security-info",
      context,
    );
    const transaction = await getSignInTransaction(database.db, token);
    await recordSecondFactor(database.db, transaction!, "second_factor", "otp", {
      stayChoice: null,
    });
    const stepped = await completeSignIn(database.db, token, context);
    expect((await eventsOf(account.id)).map((e) => [e.result, e.reason, e.sessionId])).toEqual([
      ["success", "step_up", hashToken(stepped!)],
    ]);
  });

  it("writes nothing when the outcome's transaction fails", async () => {
    const account = await newAccount("rolled-back@example.edu", { app: true });
    const result = await passwordStep(account.email, account.password, "192.0.2.15");
    if (!result.ok) throw new Error("expected the password step to pass");
    const transactionId = hashToken(result.transactionToken);
    const [existing] = await database.db.select({ id: sessions.id }).from(sessions).limit(1);

    // Finishing the sign-in and creating its session commit together or not at all.
    await expect(
      database.db.transaction(async (tx) => {
        await finishSignInEvent(
          tx,
          {
            userId: account.id,
            transactionId,
            purpose: "sign_in",
            sessionId: existing!.id,
            methods: ["pwd", "otp"],
          },
          { ip: "192.0.2.15", userAgent: null },
        );
        // A session id that already exists: the insert fails, and so does the whole outcome.
        await tx.insert(sessions).values({
          id: existing!.id,
          userId: account.id,
          aal: 2,
          methods: [],
          authenticatedAt: new Date(),
          idleExpiresAt: new Date(),
          absoluteExpiresAt: new Date(),
        });
      }),
    ).rejects.toThrow();
    expect(await eventsOf(account.id)).toMatchObject([
      { result: "interrupted", transactionId, sessionId: null },
    ]);

    await expect(
      database.db.transaction(async (tx) => {
        await recordSignInEvent(
          tx,
          { userId: account.id, result: "failure", reason: "mfa_failed" },
          { ip: "192.0.2.15", userAgent: null },
        );
        throw new Error("the outcome failed");
      }),
    ).rejects.toThrow("the outcome failed");
    expect(await eventsOf(account.id)).toHaveLength(1);
  });
});

describe("risk in the sign-in flow (R-A14.6, R-A1.8)", () => {
  it("from a hosting network: asks for the second factor despite a remembered browser, offers no 'Stay signed in?', tells the person", async () => {
    const account = await newAccount("hosting@example.edu", { app: true });
    const remembered = await rememberBrowser(database.db, account.id, 14, CHROME_ON_LINUX);
    const browser = { stayChoice: true, rememberedToken: remembered };

    const risky = await passwordStep(account.email, account.password, AWS, browser);
    expect(risky).toMatchObject({ ok: true, stage: "second_factor", persistent: false });
    expect(await eventsOf(account.id)).toMatchObject([
      { asn: 16509, riskLevel: "medium", riskReasons: ["hosting_network"] },
    ]);
    const notices = await database.db
      .select({ subject: outbox.subject, body: outbox.body })
      .from(outbox)
      .where(eq(outbox.userId, account.id));
    expect(notices.map((n) => n.subject)).toContain("A sign-in from somewhere new");

    // After the second factor: straight in, not kept, whatever the browser said before.
    if (!risky.ok) return;
    const transaction = await getSignInTransaction(database.db, risky.transactionToken);
    expect(
      await recordSecondFactor(database.db, transaction!, "second_factor", "otp", browser),
    ).toBe("ready");
    expect((await getSignInTransaction(database.db, risky.transactionToken))!.persistent).toBe(
      false,
    );
    // The factors are all still there: risk never removes one.
    const [methodCount] = await database.db
      .execute<{ n: number }>(
        sql`select count(*)::int as n from mfa_methods where user_id = ${account.id} and status = 'active'`,
      )
      .then((r) => r.rows);
    expect(methodCount!.n).toBe(1);

    // The same browser from an ordinary address skips the second factor as remembered.
    const ordinary = await passwordStep(account.email, account.password, LONDON, browser);
    expect(ordinary).toMatchObject({ ok: true, stage: "ready", persistent: true });
  });

  it("'This was me' on a hosting sign-in makes that network known: the next one is not flagged", async () => {
    const account = await newAccount("known-network@example.edu", { app: true });
    const remembered = await rememberBrowser(database.db, account.id, 14, null);
    const browser = { stayChoice: false, rememberedToken: remembered };
    await passwordStep(account.email, account.password, AWS, browser);
    const [event] = await eventsOf(account.id);
    expect(await setVerdict(database.db, account.id, event!.id, "confirmed")).toEqual({
      id: event!.id,
      networkMarkedKnown: true,
    });
    expect(
      await database.db.select().from(knownNetworks).where(eq(knownNetworks.userId, account.id)),
    ).toMatchObject([{ asn: 16509 }]);

    const again = await passwordStep(account.email, account.password, AWS, browser);
    expect(again).toMatchObject({ ok: true, stage: "ready" });
    expect((await eventsOf(account.id))[1]).toMatchObject({ riskLevel: "low", riskReasons: [] });
  });

  it("requires a password change after the third high-risk sign-in in 30 days", async () => {
    const account = await newAccount("high-risk@example.edu", { app: true });
    const mustChange = async () =>
      (
        await database.db
          .select({ flag: users.mustChangePassword })
          .from(users)
          .where(eq(users.id, account.id))
      )[0]!.flag;
    // An address that cannot be read is never trusted: high risk (R-A14.5).
    for (let i = 1; i <= 2; i++) {
      expect(await passwordStep(account.email, account.password, null)).toMatchObject({ ok: true });
      expect(await mustChange()).toBe(false);
    }
    await passwordStep(account.email, account.password, null);
    expect(await mustChange()).toBe(true);
    const events = await eventsOf(account.id);
    expect(events.map((e) => e.riskLevel)).toEqual(["high", "high", "high"]);
    expect(events[0]!.riskReasons).toContain("unknown_address");
  });
});

describe("My sign-ins: keyset pages over 100,000 events", () => {
  let owner: string;
  let expected: number[];

  beforeAll(async () => {
    owner = (await newAccount("many@example.edu")).id;
    const other = (await newAccount("neighbour@example.edu")).id;
    // Two people's events interleaved; times tie in threes and differ by microseconds, which a
    // JavaScript Date cannot hold.
    await database.db.execute(sql`
      insert into sign_in_events (user_id, at, result, reason, ip, risk_level)
      select case when g % 10 = 0 then ${other}::uuid else ${owner}::uuid end,
             now() - interval '1 day' + (g / 3) * interval '7 microsecond',
             (array['success', 'failure', 'interrupted'])[1 + g % 3],
             'signed_in',
             '192.0.2.1',
             case when g % 97 = 0 then 'high' else 'none' end
      from generate_series(1, 111111) as g`);
    await database.db.execute(sql`analyze sign_in_events`);
    const rows = await database.db.execute<{ id: number }>(
      sql`select id from sign_in_events where user_id = ${owner} order by at desc, id desc`,
    );
    expected = rows.rows.map((r) => Number(r.id));
    expect(expected.length).toBeGreaterThanOrEqual(100_000);
  });

  async function walk(filter: SignInFilter, limit: number): Promise<number[]> {
    const seen: number[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await listSignInEvents(database.db, owner, { filter, cursor, limit });
      seen.push(...page.items.map((item) => item.id));
      if (!page.nextCursor) return seen;
      expect(page.items).toHaveLength(limit);
      cursor = page.nextCursor;
    }
  }

  it("walks every event once, newest first, in the same order as a full sort", async () => {
    const seen = await walk("all", 100);
    expect(seen).toEqual(expected);
  });

  it("filters by result and risk without losing or repeating rows", async () => {
    const unusual = await walk("unusual", 50);
    const expectedUnusual = await database.db.execute<{ id: number }>(
      sql`select id from sign_in_events where user_id = ${owner} and risk_level in ('medium','high') order by at desc, id desc`,
    );
    expect(unusual).toEqual(expectedUnusual.rows.map((r) => Number(r.id)));
    const failures = await listSignInEvents(database.db, owner, { filter: "failure", limit: 100 });
    expect(failures.items.every((item) => item.result !== "success")).toBe(true);
    const successes = await listSignInEvents(database.db, owner, { filter: "success", limit: 100 });
    expect(successes.items.every((item) => item.result === "success")).toBe(true);
  });

  it("keeps the next page the same while new sign-ins arrive", async () => {
    const first = await listSignInEvents(database.db, owner, { filter: "all", limit: 20 });
    const secondBefore = await listSignInEvents(database.db, owner, {
      filter: "all",
      cursor: first.nextCursor!,
      limit: 20,
    });
    await recordSignInEvent(
      database.db,
      { userId: owner, result: "success", reason: "signed_in" },
      { ip: "192.0.2.1", userAgent: null },
    );
    const secondAfter = await listSignInEvents(database.db, owner, {
      filter: "all",
      cursor: first.nextCursor!,
      limit: 20,
    });
    expect(secondAfter.items.map((i) => i.id)).toEqual(secondBefore.items.map((i) => i.id));
    expect(secondAfter.items.map((i) => i.id)).toEqual(expected.slice(20, 40));
  });

  it("reads a deep page through the (user, at, id) index without sorting or scanning", async () => {
    const cursor = `${Date.now() * 1000}-1`;
    for (const options of [{ filter: "all" as const }, { filter: "all" as const, cursor }]) {
      const plan = await database.db.execute<{ "QUERY PLAN": string }>(
        sql`explain ${signInEventsPageQuery(database.db, owner, { ...options, limit: 20 })}`,
      );
      const text = plan.rows.map((r) => r["QUERY PLAN"]).join("\n");
      // The table is partitioned by month: each partition's scan uses its own part of the index
      // (a Merge Append keeps their order, its "Sort Key" is no sort).
      const used = [...text.matchAll(/Index Scan(?: Backward)? using (\S+)/g)].map((m) => m[1]!);
      expect(used.length).toBeGreaterThan(0);
      const parents = await database.db.execute<{ index: string; parent: string }>(sql`
        select c.relname as index, p.relname as parent from pg_inherits i
        join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent`);
      const parentOf = new Map(parents.rows.map((r) => [r.index, r.parent]));
      expect(used.map((index) => parentOf.get(index))).toEqual(
        used.map(() => "sign_in_events_user_at_idx"),
      );
      expect(text).not.toMatch(/Seq Scan|Sort(?! Key)/);
      if (options.cursor) expect(text).toMatch(/Index Cond: .*ROW\(at, id\) < ROW/);
    }
  });

  it("gives the first page for a cursor that cannot be read", async () => {
    const page = await listSignInEvents(database.db, owner, {
      filter: "all",
      cursor: "not-a-cursor",
      limit: 5,
    });
    expect(page.items[0]!.id).toBeGreaterThanOrEqual(expected[0]!);
  });
});

describe("'This was me' and 'This wasn't me' (R-A14.2)", () => {
  it("changes only the person's own events: another person's id changes nothing", async () => {
    const alice = await newAccount("alice-verdict@example.edu");
    const mallory = await newAccount("mallory-verdict@example.edu");
    const id = await recordSignInEvent(
      database.db,
      {
        userId: alice.id,
        result: "success",
        reason: "signed_in",
        risk: { level: "medium", reasons: ["hosting_network"] },
      },
      { ip: AWS, userAgent: null },
    );
    expect(await setVerdict(database.db, mallory.id, id, "confirmed")).toBeNull();
    expect(await setVerdict(database.db, mallory.id, id, "reported")).toBeNull();
    const [row] = await database.db.select().from(signInEvents).where(eq(signInEvents.id, id));
    expect(row).toMatchObject({ verdict: null, verdictAt: null });
    expect(
      await database.db.select().from(knownNetworks).where(eq(knownNetworks.userId, mallory.id)),
    ).toEqual([]);
    expect(
      await database.db
        .select()
        .from(auditLog)
        .where(
          and(eq(auditLog.actorId, mallory.id), eq(auditLog.action, "activity.sign_in.confirmed")),
        ),
    ).toEqual([]);

    expect(await setVerdict(database.db, alice.id, id, "reported")).toEqual({
      id,
      networkMarkedKnown: false,
    });
    const [reported] = await database.db.select().from(signInEvents).where(eq(signInEvents.id, id));
    expect(reported!.verdict).toBe("reported");
    expect(reported!.verdictAt).not.toBeNull();
    // Reporting a hosting sign-in never makes its network known.
    expect(
      await database.db.select().from(knownNetworks).where(eq(knownNetworks.userId, alice.id)),
    ).toEqual([]);
  });
});

describe("retention (R-A14.7)", () => {
  it("purges events older than SIGN_IN_RETENTION_DAYS and keeps the rest", async () => {
    const account = await newAccount("retention@example.edu");
    const insert = (daysAgo: number) =>
      database.db.execute(sql`
        insert into sign_in_events (user_id, at, result, reason)
        values (${account.id}, now() - make_interval(days => ${daysAgo}), 'success', 'signed_in')`);
    await insert(31);
    await insert(45);
    await insert(29);
    await insert(0);
    const before = await database.db.execute<{ n: number }>(
      sql`select count(*)::int as n from sign_in_events where at < now() - interval '30 days'`,
    );
    expect(await purgeOldSignInEvents(database.db)).toBe(before.rows[0]!.n);
    const left = await eventsOf(account.id);
    expect(left).toHaveLength(2);
    const oldest = Math.min(...left.map((e) => e.at.getTime()));
    expect(Date.now() - oldest).toBeLessThan(30 * 86_400_000);
    expect(await purgeOldSignInEvents(database.db)).toBe(0);
  });
});
