import { and, desc, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Agent } from "@/lib/admin/agent-rules";
import { createApiService, setApiServiceDisabled } from "@/lib/admin/api-services";
import { verifyPasswordStep } from "@/lib/auth/password-step";
import { auditLog, authThrottles, pushRequests, signInEvents } from "@/lib/db/schema";
import { totpCode } from "@/lib/mfa/totp";
import {
  answerOnPhone,
  createPersonWithApp,
  createPersonWithPhone,
  waitForPushRequest,
} from "@/lib/testing/people";
import { createTestDatabase } from "@/lib/testing/test-database";
import { createTestUser } from "@/lib/testing/users";
import { API_KEY_FAILURE_THRESHOLD } from "@/lib/settings/policy";
import { SERVICE_MESSAGES } from "./service-sign-in";
import { answerVerifyRequest } from "./verify-api";

// POST /api/v1/verify as a script or a PAM module calls it: a real Request with the service's
// key, answered by the route's handler against a test database (R-A20.5, R-A20.4, R-A18.1).

const context = { ip: "192.0.2.91", userAgent: "vitest" };
const why = { reason: "Deploy checks ask for MFA", ticket: "CHG-16" };
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let admin: Agent;
let deploy: { id: string; key: string };
let pam: { id: string; key: string };
let staffOnly: { id: string; key: string };

async function service(
  name: string,
  settings: { allowedRoles?: ("user" | "helpdesk" | "admin")[] | null; passwordRequired?: boolean },
) {
  const created = await createApiService(
    database.db,
    admin,
    {
      name,
      allowedRoles: settings.allowedRoles ?? null,
      passwordRequired: settings.passwordRequired ?? true,
    },
    why,
    context,
  );
  if (!created.ok) throw new Error(created.message);
  return { id: created.service.id, key: created.key };
}

beforeAll(async () => {
  database = await createTestDatabase();
  const email = "api-admin@example.edu";
  const { id } = await createTestUser(database.db, { email, displayName: "Ada", role: "admin" });
  admin = { id, email, displayName: "Ada", role: "admin", sessionId: "session" };
  deploy = await service("Deploy check", {});
  pam = await service("SSH bastion", { passwordRequired: false });
  staffOnly = await service("Staff tools", { allowedRoles: ["helpdesk", "admin"] });
});
afterAll(async () => {
  await database.dispose();
});

/** The service's host: each test that counts refusals uses an address of its own. */
const host = { ip: "198.51.100.7", userAgent: "pam_factor/1.0" };

type CallOptions = {
  key?: string | null;
  peer?: typeof host;
  contentType?: string;
  raw?: string;
  waitSeconds?: number;
};

/** One call of the API, as a script makes it. */
async function call(body: unknown, options: CallOptions = {}) {
  const key = options.key === undefined ? deploy.key : options.key;
  const headers: Record<string, string> = {
    "Content-Type": options.contentType ?? "application/json",
  };
  if (key !== null) headers.Authorization = `Bearer ${key}`;
  const request = new Request("http://factor.test/api/v1/verify", {
    method: "POST",
    headers,
    body: options.raw ?? JSON.stringify(body),
  });
  const response = await answerVerifyRequest(database.db, request, options.peer ?? host, {
    waitSeconds: options.waitSeconds ?? 4,
    pollMs: 100,
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

let people = 0;
const personWithApp = (role: "user" | "helpdesk" = "user") =>
  createPersonWithApp(database.db, `api-${++people}@example.edu`, role);
const personWithPhone = () =>
  createPersonWithPhone(database.db, `api-push-${++people}@example.edu`);

async function eventsOf(userId: string) {
  return database.db
    .select({
      app: signInEvents.app,
      clientId: signInEvents.clientId,
      result: signInEvents.result,
      reason: signInEvents.reason,
      methods: signInEvents.methods,
      ip: signInEvents.ip,
    })
    .from(signInEvents)
    .where(eq(signInEvents.userId, userId))
    .orderBy(desc(signInEvents.id));
}

async function countRows() {
  const [events] = await database.db.select({ n: sql<number>`count(*)::int` }).from(signInEvents);
  const [throttles] = await database.db
    .select({ n: sql<number>`count(*)::int` })
    .from(authThrottles);
  const [audits] = await database.db.select({ n: sql<number>`count(*)::int` }).from(auditLog);
  return { events: events!.n, throttles: throttles!.n, audits: audits!.n };
}

describe("a code by challenge", () => {
  it("challenges after the password and accepts the code with the state", async () => {
    const person = await personWithApp();
    const first = await call({ user: person.email, password: person.password });
    expect(first.status).toBe(200);
    expect(first.headers.get("cache-control")).toBe("no-store");
    expect(first.body).toMatchObject({
      result: "challenge",
      message: SERVICE_MESSAGES.enterCode,
      state: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    const second = await call({
      user: person.email,
      code: await totpCode(person.secret),
      state: first.body.state,
    });
    expect(second).toMatchObject({
      status: 200,
      body: { result: "accept", message: SERVICE_MESSAGES.accepted },
    });
    // My sign-ins shows the service by its name; the audit log has the decision.
    const [event] = await eventsOf(person.id);
    expect(event).toMatchObject({
      app: "Service (Deploy check)",
      clientId: `api:${deploy.id}`,
      result: "success",
      reason: "signed_in",
      methods: ["pwd", "otp"],
      ip: host.ip,
    });
    const [audit] = await database.db
      .select({ details: auditLog.details })
      .from(auditLog)
      .where(and(eq(auditLog.subjectId, person.id), eq(auditLog.action, "auth.sign_in.succeeded")));
    expect(audit?.details).toMatchObject({ service: "Service (Deploy check)" });

    // The state is single use, and bound to its service (R-A20.4).
    const again = await call({
      user: person.email,
      code: await totpCode(person.secret),
      state: first.body.state,
    });
    expect(again.body).toEqual({ result: "reject", message: SERVICE_MESSAGES.expired });
  });

  it("does not take a state to another service", async () => {
    const person = await personWithApp();
    const first = await call({ user: person.email, password: person.password });
    const elsewhere = await call(
      { user: person.email, code: await totpCode(person.secret), state: first.body.state },
      { key: staffOnly.key },
    );
    expect(elsewhere.body).toEqual({ result: "reject", message: SERVICE_MESSAGES.expired });
  });

  it("accepts the password and the code in one request, and locates the person's address", async () => {
    const person = await personWithApp();
    const reply = await call({
      user: person.email,
      password: person.password,
      code: await totpCode(person.secret),
      ip: "81.2.69.160",
    });
    expect(reply.body).toMatchObject({ result: "accept" });
    const [event] = await eventsOf(person.id);
    expect(event).toMatchObject({ result: "success", ip: "81.2.69.160" });
  });

  it("rejects a wrong code and ends the sign-in", async () => {
    const person = await personWithApp();
    const first = await call({ user: person.email, password: person.password });
    const right = await totpCode(person.secret);
    const wrong = await call({
      user: person.email,
      code: right === "000000" ? "111111" : "000000",
      state: first.body.state,
    });
    expect(wrong.body).toEqual({ result: "reject", message: SERVICE_MESSAGES.wrongCode });
    const late = await call({ user: person.email, code: right, state: first.body.state });
    expect(late.body).toEqual({ result: "reject", message: SERVICE_MESSAGES.expired });
  });
});

describe("refusals", () => {
  it("answers a wrong password, an unknown account and a locked one alike (R-A18.1)", async () => {
    const person = await personWithApp();
    const wrong = await call({ user: person.email, password: "not the password" });
    const unknown = await call({ user: "nobody-api@example.edu", password: "not the password" });
    // A lock earned on the web holds here too: the right password is refused the same way.
    const locked = await personWithApp();
    for (let i = 0; i < 10; i++) {
      await verifyPasswordStep(
        database.db,
        { email: locked.email, password: `wrong ${i}`, callbackPath: "/" },
        { ip: `203.0.113.${i + 1}`, userAgent: "vitest" },
      );
    }
    const whileLocked = await call({ user: locked.email, password: locked.password });
    for (const reply of [wrong, unknown, whileLocked]) {
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({ result: "reject", message: SERVICE_MESSAGES.refused });
    }
    const [event] = await eventsOf(locked.id);
    expect(event).toMatchObject({
      app: "Service (Deploy check)",
      result: "failure",
      reason: "locked",
    });
  });

  it("refuses a person whose role may not use the service", async () => {
    const person = await personWithApp("user");
    const reply = await call(
      {
        user: person.email,
        password: person.password,
        code: await totpCode(person.secret),
      },
      { key: staffOnly.key },
    );
    expect(reply.body).toEqual({ result: "reject", message: SERVICE_MESSAGES.notAllowed });
    const [event] = await eventsOf(person.id);
    expect(event).toMatchObject({
      app: "Service (Staff tools)",
      result: "failure",
      reason: "not_allowed",
    });
  });
});

describe("a service that does not send the password", () => {
  it("accepts the code alone, and challenges without one", async () => {
    const person = await personWithApp();
    const accepted = await call(
      { user: person.email, code: await totpCode(person.secret) },
      { key: pam.key },
    );
    expect(accepted.body).toMatchObject({ result: "accept" });
    const [event] = await eventsOf(person.id);
    expect(event).toMatchObject({
      app: "Service (SSH bastion)",
      result: "success",
      methods: ["otp"],
    });

    const asked = await call({ user: person.email }, { key: pam.key });
    expect(asked.body).toMatchObject({ result: "challenge", message: SERVICE_MESSAGES.enterCode });
  });

  it("refuses an unknown account in the words of a wrong password", async () => {
    const reply = await call({ user: "nobody-pam@example.edu", code: "123456" }, { key: pam.key });
    expect(reply.body).toEqual({ result: "reject", message: SERVICE_MESSAGES.refused });
  });

  it("is the only kind that may leave the password out", async () => {
    const person = await personWithApp();
    const before = await countRows();
    const reply = await call({ user: person.email, code: await totpCode(person.secret) });
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({
      error: "invalid_request",
      fields: { password: expect.any(Array) },
    });
    expect(await countRows()).toEqual(before);
  });
});

describe("push to the phone", () => {
  it("holds the request until the phone approves", async () => {
    const person = await personWithPhone();
    const reply = call({ user: person.email, password: person.password });
    const request = await waitForPushRequest(database.db, person.id);
    // The phone asks "Did you just sign in to Service (Deploy check)?": no number to type.
    expect(request.context.app).toBe("Service (Deploy check)");
    expect(await answerOnPhone(database.db, person.phone, request, "approve", context)).toBe(
      "approved",
    );
    expect((await reply).body).toMatchObject({ result: "accept" });
    const [event] = await eventsOf(person.id);
    expect(event).toMatchObject({
      app: "Service (Deploy check)",
      result: "success",
      methods: ["pwd", "swk"],
    });
  });

  it("rejects with the message when the phone denies", async () => {
    const person = await personWithPhone();
    const reply = call({ user: person.email, password: person.password });
    const request = await waitForPushRequest(database.db, person.id);
    expect(await answerOnPhone(database.db, person.phone, request, "deny", context)).toBe("denied");
    expect((await reply).body).toEqual({ result: "reject", message: SERVICE_MESSAGES.denied });
    const [event] = await eventsOf(person.id);
    expect(event).toMatchObject({ result: "failure", reason: "mfa_denied" });
  });

  it("rejects when the phone does not answer in time", async () => {
    const person = await personWithPhone();
    const reply = await call({ user: person.email, password: person.password }, { waitSeconds: 1 });
    expect(reply.body).toEqual({ result: "reject", message: SERVICE_MESSAGES.noResponse });
    const [event] = await eventsOf(person.id);
    expect(event).toMatchObject({ result: "failure", reason: "mfa_timed_out" });
    const used = await database.db
      .select({ status: pushRequests.status })
      .from(pushRequests)
      .where(and(eq(pushRequests.userId, person.id), eq(pushRequests.status, "approved")));
    expect(used).toHaveLength(0);
  });
});

describe("keys (R-A20.5)", () => {
  async function refusedAudits(peerIp: string) {
    return database.db
      .select({ details: auditLog.details })
      .from(auditLog)
      .where(and(eq(auditLog.action, "services_api.key_refused"), eq(auditLog.ip, peerIp)))
      .orderBy(desc(auditLog.id));
  }

  it("answers 401 to a missing, wrong or disabled key, records no sign-in, and audits it", async () => {
    const person = await personWithApp();
    const peer = { ip: "198.51.100.21", userAgent: "curl/8" };
    const body = { user: person.email, password: person.password };
    const missing = await call(body, { key: null, peer });
    const wrong = await call(body, { key: `fsk_${"A".repeat(43)}`, peer });
    const garbage = await call(body, { key: "not-a-key", peer });
    const disabled = await service("Old cron job", {});
    await setApiServiceDisabled(database.db, admin, disabled.id, true, why, context);
    const off = await call(body, { key: disabled.key, peer });
    for (const reply of [missing, wrong, garbage, off]) {
      expect(reply.status).toBe(401);
      expect(reply.body).toMatchObject({ error: "invalid_key" });
      expect(reply.headers.get("www-authenticate")).toMatch(/^Bearer realm="factor"/);
    }
    expect(await eventsOf(person.id)).toHaveLength(0);
    const audits = await refusedAudits(peer.ip);
    expect(audits.map((a) => a.details?.reason)).toEqual([
      "disabled",
      "unknown",
      "unknown",
      "missing",
    ]);
    expect(audits[0]!.details).toMatchObject({ service: "Old cron job" });
    expect(audits[1]!.details).toMatchObject({ keyPrefix: null });
    expect(audits[2]!.details).toMatchObject({ keyPrefix: "fsk_AAAAAAAA" });
    // Never the key itself.
    expect(JSON.stringify(audits)).not.toContain(disabled.key);
  });

  it("pauses an address that keeps presenting wrong keys, right key or not", async () => {
    const person = await personWithApp();
    const peer = { ip: "198.51.100.22", userAgent: "curl/8" };
    const body = { user: person.email, password: person.password };
    for (let i = 0; i < API_KEY_FAILURE_THRESHOLD; i++) {
      expect((await call(body, { key: `fsk_${"B".repeat(42)}${i}`, peer })).status).toBe(401);
    }
    const paused = await call(body, { peer });
    expect(paused.status).toBe(429);
    expect(Number(paused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await eventsOf(person.id)).toHaveLength(0);
    // Another address is not held back.
    expect((await call(body)).body).toMatchObject({ result: "challenge" });
  });
});

describe("malformed calls (R-A17.3, R-A11.7)", () => {
  it("answers 400 or 415 and changes nothing", async () => {
    const person = await personWithApp();
    const before = await countRows();
    const code = await totpCode(person.secret);
    const cases: [unknown, CallOptions, number, string?][] = [
      [null, { raw: "{not json" }, 400],
      [["a"], {}, 400],
      [{ password: person.password }, {}, 400, "user"],
      [{ user: person.email, password: person.password, code: [code, "000000"] }, {}, 400, "code"],
      [{ user: person.email, password: 42 }, {}, 400, "password"],
      [{ user: person.email, password: person.password, passwd: "x" }, {}, 400, "passwd"],
      [{ user: person.email, state: "abc" }, {}, 400, "code"],
      [{ user: person.email, password: person.password, ip: "localhost" }, {}, 400, "ip"],
      [{ user: person.email, password: "x".repeat(9000) }, {}, 400],
      [{ user: person.email, password: person.password }, { contentType: "text/plain" }, 415],
      [
        null,
        {
          contentType: "application/x-www-form-urlencoded",
          raw: `user=${person.email}&password=x`,
        },
        415,
      ],
    ];
    for (const [body, options, status, field] of cases) {
      const reply = await call(body, options);
      expect(reply.status, JSON.stringify(body)).toBe(status);
      expect(typeof reply.body.message).toBe("string");
      if (field) expect(reply.body.fields, JSON.stringify(body)).toHaveProperty(field);
    }
    expect(await countRows()).toEqual(before);
    // The code is still unused: nothing was checked.
    const reply = await call({ user: person.email, password: person.password, code });
    expect(reply.body).toMatchObject({ result: "accept" });
  });
});
