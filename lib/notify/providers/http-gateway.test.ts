import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { eq } from "drizzle-orm";
import { getExpectedTwilioSignature, validateRequest } from "twilio/lib/webhooks/webhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as gatherCallback } from "@/app/api/phone/calls/[challengeId]/gather/route";
import { mfaMethods, outbox, phoneChallenges } from "@/lib/db/schema";
import { createTestDatabase } from "@/lib/testing/test-database";
import { dispatchDue } from "../dispatcher";
import { queueMessage } from "../outbox";
import { queueSecurityNotice } from "../security-notice";
import { providerNameFor } from ".";
import { verifyGatewaySignature } from "./http-gateway";
import { createTestUser } from "@/lib/testing/users";

// A local stand-in for the gateway that checks each request the way Twilio's API reference
// describes it (Basic auth with the Account SID and Auth Token, form-encoded fields, 201 + JSON
// with a sid), and Twilio's own library to sign and check callbacks independently of our code.

const ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef";
const AUTH_TOKEN = "f0e1d2c3b4a5968778695a4b3c2d1e0f";
const FROM = "+15005550006";
const PUBLIC_URL = "https://factor.example.edu";

type GatewayRequest = { path: string; fields: URLSearchParams; problems: string[] };
const requests: GatewayRequest[] = [];
/** The next answer to give instead of success. */
let nextFailure: { status: number; body: object } | null = null;

function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let data = "";
    req.on("data", (chunk: Buffer) => (data += chunk.toString()));
    req.on("end", () => resolve(data));
  });
}

const gateway = createServer(async (req, res) => {
  const body = await read(req);
  const fields = new URLSearchParams(body);
  const problems: string[] = [];
  const expectedAuth = `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString("base64")}`;
  if (req.method !== "POST") problems.push(`method ${req.method}`);
  if (req.headers.authorization !== expectedAuth) problems.push("authorization");
  if (!req.headers["content-type"]?.startsWith("application/x-www-form-urlencoded")) {
    problems.push(`content-type ${req.headers["content-type"]}`);
  }
  const resource = /^\/2010-04-01\/Accounts\/([^/]+)\/(Messages|Calls)\.json$/.exec(req.url ?? "");
  if (!resource || resource[1] !== ACCOUNT_SID) problems.push(`path ${req.url}`);
  for (const name of ["To", "From"]) if (!fields.get(name)) problems.push(`missing ${name}`);
  if (resource?.[2] === "Messages" && !fields.get("Body")) problems.push("missing Body");
  if (resource?.[2] === "Calls" && !fields.get("Twiml") && !fields.get("Url")) {
    problems.push("missing Twiml or Url");
  }
  requests.push({ path: req.url ?? "", fields, problems });
  res.setHeader("Content-Type", "application/json");
  if (problems.length > 0) {
    res.statusCode = problems.includes("authorization") ? 401 : 400;
    res.end(JSON.stringify({ code: 20001, message: problems.join("; "), status: res.statusCode }));
    return;
  }
  if (nextFailure) {
    res.statusCode = nextFailure.status;
    res.end(JSON.stringify(nextFailure.body));
    nextFailure = null;
    return;
  }
  res.statusCode = 201;
  const prefix = resource![2] === "Messages" ? "SM" : "CA";
  res.end(JSON.stringify({ sid: `${prefix}${requests.length.toString().padStart(32, "0")}` }));
});

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let userId: string;
let methodId: string;

beforeAll(async () => {
  await new Promise<void>((resolve) => gateway.listen(0, "127.0.0.1", resolve));
  const { port } = gateway.address() as AddressInfo;
  Object.assign(process.env, {
    SMS_GATEWAY_URL: `http://127.0.0.1:${port}`,
    SMS_GATEWAY_ACCOUNT_SID: ACCOUNT_SID,
    SMS_GATEWAY_AUTH_TOKEN: AUTH_TOKEN,
    SMS_GATEWAY_FROM: FROM,
    PUBLIC_URL,
    CALL_ANSWER_SECONDS: "45",
  });
  delete (globalThis as { __factorEnv?: unknown }).__factorEnv;
  database = await createTestDatabase();
  userId = (
    await createTestUser(database.db, {
      email: "phone.owner@example.edu",
      displayName: "Phone Owner",
      role: "user",
    })
  ).id;
  const [method] = await database.db
    .insert(mfaMethods)
    .values({ userId, kind: "phone", label: "+447700900123", status: "active" })
    .returning({ id: mfaMethods.id });
  methodId = method!.id;
});
afterAll(async () => {
  await database.dispose();
  await new Promise<void>((resolve) => gateway.close(() => resolve()));
});

async function ringingCall(): Promise<string> {
  const [challenge] = await database.db
    .insert(phoneChallenges)
    .values({
      userId,
      methodId,
      purpose: "sign_in",
      channel: "voice",
      status: "ringing",
      expiresAt: new Date(Date.now() + 60_000),
    })
    .returning({ id: phoneChallenges.id });
  return challenge!.id;
}

async function challengeStatus(id: string) {
  const [row] = await database.db
    .select({ status: phoneChallenges.status })
    .from(phoneChallenges)
    .where(eq(phoneChallenges.id, id));
  return row!.status;
}

const soon = () => new Date(Date.now() + 1000);

describe("the SMS and voice gateway", () => {
  it("is chosen by SMS_GATEWAY_URL for texts and calls", () => {
    expect(providerNameFor("sms")).toBe("gateway");
    expect(providerNameFor("voice")).toBe("gateway");
    expect(providerNameFor("email")).toBe("outbox");
  });

  it("sends a text as Twilio's Messages API expects, then erases the code", async () => {
    await database.db.transaction(async (tx) => {
      await queueMessage(tx, {
        userId,
        channel: "sms",
        recipient: "+447700900123",
        body: "Your Example University verification code is 804213",
        sensitive: true,
      });
    });
    expect(await dispatchDue(database.db, { now: soon() })).toMatchObject({ sent: 1 });
    const request = requests.at(-1)!;
    expect(request.problems).toEqual([]);
    expect(request.path).toBe(`/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`);
    expect(Object.fromEntries(request.fields)).toEqual({
      To: "+447700900123",
      From: FROM,
      Body: "Your Example University verification code is 804213",
    });
    const [row] = await database.db
      .select()
      .from(outbox)
      .where(eq(outbox.recipient, "+447700900123"));
    expect(row).toMatchObject({ status: "sent", provider: "gateway", body: "[delivered]" });
    expect(row!.providerMessageId).toMatch(/^SM\d{32}$/);
  });

  it("places a call whose TwiML reads the message and gathers one key for our callback", async () => {
    const challengeId = await ringingCall();
    await database.db.transaction(async (tx) => {
      await queueMessage(tx, {
        userId,
        channel: "voice",
        recipient: "+447700900124",
        body: "This is Example University. Press the pound key to sign in.",
        reference: challengeId,
      });
    });
    expect(await dispatchDue(database.db, { now: soon() })).toMatchObject({ sent: 1 });
    const request = requests.at(-1)!;
    expect(request.problems).toEqual([]);
    expect(request.path).toBe(`/2010-04-01/Accounts/${ACCOUNT_SID}/Calls.json`);
    expect(request.fields.get("To")).toBe("+447700900124");
    expect(request.fields.get("From")).toBe(FROM);
    expect(request.fields.get("Timeout")).toBe("45");
    const twiml = request.fields.get("Twiml")!;
    const gather = /<Gather ([^>]*)>(.*)<\/Gather>/.exec(twiml);
    expect(gather).not.toBeNull();
    expect(gather![1]).toContain('numDigits="1"');
    expect(gather![1]).toContain('finishOnKey=""');
    expect(gather![1]).toContain(`action="${PUBLIC_URL}/api/phone/calls/${challengeId}/gather"`);
    expect(gather![2]).toContain(
      '<Say loop="2">This is Example University. Press the pound key to sign in.</Say>',
    );
    const [row] = await database.db
      .select()
      .from(outbox)
      .where(eq(outbox.recipient, "+447700900124"));
    expect(row!.providerMessageId).toMatch(/^CA\d{32}$/);
  });

  it("dials an office extension after the call connects", async () => {
    const challengeId = await ringingCall();
    await database.db.transaction(async (tx) => {
      await queueMessage(tx, {
        userId,
        channel: "voice",
        recipient: "+442079460018;ext=1234",
        body: "This is Example University. Press the pound key to sign in.",
        reference: challengeId,
      });
    });
    expect(await dispatchDue(database.db, { now: soon() })).toMatchObject({ sent: 1 });
    const request = requests.at(-1)!;
    expect(request.problems).toEqual([]);
    expect(request.fields.get("To")).toBe("+442079460018");
    expect(request.fields.get("SendDigits")).toBe("wwww1234");
  });

  it("texts the old number when the sign-in phone changes, with no link", async () => {
    await database.db.transaction(async (tx) => {
      await queueSecurityNotice(
        tx,
        { id: userId, email: "phone.owner@example.edu", displayName: "Phone Owner" },
        "phone.changed",
        { ip: "192.0.2.5", userAgent: "test" },
        "",
        { smsTo: "+447700900999" },
      );
    });
    await dispatchDue(database.db, { now: soon() });
    const text = requests.find((r) => r.fields.get("To") === "+447700900999")!;
    expect(text.fields.get("Body")).toMatch(
      /^Example University: the phone number used to sign in to your account was changed on .+ UTC\. If this wasn't you, contact the helpdesk at helpdesk@example\.edu\.$/,
    );
    expect(text.fields.get("Body")).not.toMatch(/https?:/);
  });

  it("fails at once on a refused number and retries when the gateway is busy", async () => {
    nextFailure = {
      status: 400,
      body: { code: 21211, message: "The 'To' number +447700900555 is not a valid phone number." },
    };
    await queueMessage(database.db, {
      userId,
      channel: "sms",
      recipient: "+447700900555",
      body: "Code 777888",
      sensitive: true,
    });
    expect(await dispatchDue(database.db, { now: soon() })).toMatchObject({ failed: 1 });
    nextFailure = { status: 503, body: { message: "Service unavailable" } };
    await queueMessage(database.db, {
      userId,
      channel: "sms",
      recipient: "+447700900556",
      body: "Code 777889",
      sensitive: true,
    });
    expect(await dispatchDue(database.db, { now: soon() })).toMatchObject({ retrying: 1 });
    const rows = await database.db.select().from(outbox);
    const refused = rows.find((r) => r.recipient === "+447700900555")!;
    const busy = rows.find((r) => r.recipient === "+447700900556")!;
    expect(refused.status).toBe("failed");
    expect(refused.lastError).toContain("HTTP 400 error 21211");
    expect(busy.status).toBe("pending");
    expect(busy.lastError).toContain("HTTP 503");
    for (const row of [refused, busy]) {
      expect(row.lastError).not.toContain("7778");
      expect(row.lastError).not.toContain(AUTH_TOKEN);
      expect(row.body).not.toContain("7778");
    }
  });
});

describe("the keypad callback", () => {
  const path = (id: string) => `/api/phone/calls/${id}/gather`;

  /** The callback as the gateway would post it, signed with `token`, to our internal address. */
  function callback(id: string, digits: string | null, token = AUTH_TOKEN) {
    const fields: Record<string, string> = {
      AccountSid: ACCOUNT_SID,
      CallSid: "CA00000000000000000000000000000001",
      CallStatus: "in-progress",
      From: FROM,
      To: "+447700900124",
      ...(digits === null ? {} : { Digits: digits }),
    };
    const signature = getExpectedTwilioSignature(token, `${PUBLIC_URL}${path(id)}`, fields);
    // Behind a proxy the app sees its own address, not the public one the gateway signed.
    const request = new Request(`http://127.0.0.1:3000${path(id)}`, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": signature,
      },
      body: new URLSearchParams(fields).toString(),
    });
    return gatherCallback(request, { params: Promise.resolve({ challengeId: id }) });
  }

  it('approves the sign-in when "#" is pressed', async () => {
    const id = await ringingCall();
    const response = await callback(id, "#");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/xml");
    expect(await response.text()).toContain(
      "<Say>Thank you. You can return to your browser.</Say>",
    );
    expect(await challengeStatus(id)).toBe("approved");
    // A second answer to the same call changes nothing.
    expect(await (await callback(id, "1")).text()).toContain("This request has ended.");
    expect(await challengeStatus(id)).toBe("approved");
  });

  it("declines when another key is pressed", async () => {
    const id = await ringingCall();
    const response = await callback(id, "1");
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("not approved");
    expect(await challengeStatus(id)).toBe("declined");
  });

  it("refuses a callback signed with another token and changes nothing", async () => {
    const id = await ringingCall();
    const response = await callback(id, "#", "not-our-token-0000000000000000000");
    expect(response.status).toBe(403);
    expect(await challengeStatus(id)).toBe("ringing");
  });

  it("refuses an unsigned callback and one whose fields were changed after signing", async () => {
    const id = await ringingCall();
    const unsigned = new Request(`http://127.0.0.1:3000${path(id)}`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "Digits=%23",
    });
    expect(
      (await gatherCallback(unsigned, { params: Promise.resolve({ challengeId: id }) })).status,
    ).toBe(403);
    // Signed for "1", sent with "#".
    const signedForOne = getExpectedTwilioSignature(AUTH_TOKEN, `${PUBLIC_URL}${path(id)}`, {
      Digits: "1",
    });
    const tampered = new Request(`http://127.0.0.1:3000${path(id)}`, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": signedForOne,
      },
      body: "Digits=%23",
    });
    expect(
      (await gatherCallback(tampered, { params: Promise.resolve({ challengeId: id }) })).status,
    ).toBe(403);
    // A valid signature for another call's URL does not answer this one.
    const other = await ringingCall();
    const signedForOther = getExpectedTwilioSignature(AUTH_TOKEN, `${PUBLIC_URL}${path(other)}`, {
      Digits: "#",
    });
    const moved = new Request(`http://127.0.0.1:3000${path(id)}`, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": signedForOther,
      },
      body: "Digits=%23",
    });
    expect(
      (await gatherCallback(moved, { params: Promise.resolve({ challengeId: id }) })).status,
    ).toBe(403);
    expect(await challengeStatus(id)).toBe("ringing");
    expect(await challengeStatus(other)).toBe("ringing");
  });

  it("computes the same signature as Twilio's library", () => {
    const url = `${PUBLIC_URL}/api/phone/calls/abc/gather?x=1&y=%20z`;
    const params = { Digits: "#", AccountSid: ACCOUNT_SID, Caller: "+44 7700 900123", Zed: "é&=" };
    const signature = getExpectedTwilioSignature(AUTH_TOKEN, url, params);
    const ours = new URLSearchParams(params);
    expect(verifyGatewaySignature(AUTH_TOKEN, url, ours, signature)).toBe(true);
    expect(validateRequest(AUTH_TOKEN, signature, url, params)).toBe(true);
    expect(verifyGatewaySignature(AUTH_TOKEN, url, ours, `x${signature}`)).toBe(false);
    expect(verifyGatewaySignature(AUTH_TOKEN, url, ours, null)).toBe(false);
    // Twilio may sign the URL with the default port written out.
    const withPort = getExpectedTwilioSignature(
      AUTH_TOKEN,
      `https://factor.example.edu:443/api/phone/calls/abc/gather?x=1&y=%20z`,
      params,
    );
    expect(verifyGatewaySignature(AUTH_TOKEN, url, ours, withPort)).toBe(true);
  });
});
