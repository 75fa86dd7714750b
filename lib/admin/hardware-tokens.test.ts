import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { auditLog, hardwareTokens, mfaMethods } from "@/lib/db/schema";
import {
  beginAuthenticatorEnrolment,
  confirmAuthenticatorEnrolment,
  getPendingEnrolment,
} from "@/lib/mfa/authenticator-app";
import { activateHardwareToken } from "@/lib/mfa/hardware-token";
import { getMethodSummary } from "@/lib/mfa/methods";
import { verifySecondFactor } from "@/lib/mfa/second-factor";
import { totpCode } from "@/lib/mfa/totp";
import { unseal } from "@/lib/security/sealing";
import { createTestDatabase } from "@/lib/testing/test-database";
import {
  assignToken,
  importTokens,
  listTokens,
  listTokensToActivate,
  previewTokenImport,
  unassignHardwareTokens,
} from "./hardware-tokens";
import { createTestUser } from "@/lib/testing/users";
import { clock } from "@/lib/clock";
import { pinClock } from "@/lib/testing/clock";

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let admin: { id: string; ip: string; userAgent: string; reason: string };

// 160-bit secrets, as vendors ship them.
const SECRET_A = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const SECRET_B = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const SECRET_C = "MFRGGZDFMZTWQ2LKMFRGGZDFMZTWQ2LK";

beforeAll(async () => {
  database = await createTestDatabase();
  const { id } = await createTestUser(database.db, {
    email: "token-admin@example.edu",
    displayName: "Token Admin",
    role: "admin",
  });
  admin = { id, ip: "192.0.2.7", userAgent: "vitest", reason: "Spring delivery" };
});
afterAll(async () => {
  await database.dispose();
});

// Time stands still in each test: a code made for "now" is checked in the same step.
beforeEach(() => {
  pinClock();
});

const run = (csv: string) => database.db.transaction((tx) => importTokens(tx, csv, admin));

async function newUser(name: string) {
  const email = `${name}@example.edu`;
  const { id } = await createTestUser(database.db, { email, displayName: name, role: "user" });
  return { id, email, displayName: name };
}

async function tokenBySerial(serial: string) {
  const [row] = await database.db
    .select()
    .from(hardwareTokens)
    .where(eq(hardwareTokens.serialNumber, serial));
  return row!;
}

describe("importing the vendor CSV", () => {
  it("reports every bad row with its line and imports nothing until the file is clean", async () => {
    await newUser("holder-a");
    const csv = [
      "upn,serial number,secret key,time interval,manufacturer,model",
      `holder-a@example.edu,T-100,${SECRET_A},30,Contoso,Hard Token 1`,
      `,T-101,not base32!,30,Contoso,Hard Token 1`,
      `,T-102,${SECRET_B},45,Contoso,Hard Token 1`,
      `nobody@example.edu,T-103,${SECRET_C},60,Contoso,Hard Token 1`,
      `,T-100,${SECRET_C},30,Contoso,Hard Token 1`,
      `,T-104,JBSWY3DP,30,Contoso,Hard Token 1`,
    ].join("\n");
    const preview = await previewTokenImport(database.db, csv);
    expect(preview.rows).toEqual([]);
    expect(preview.problems.map((p) => p.line)).toEqual([3, 4, 5, 6, 7]);
    expect(preview.problems.map((p) => p.message).join(" ")).toMatch(/time interval/);
    expect(JSON.stringify(preview)).not.toContain(SECRET_A);
    expect(await run(csv)).toMatchObject({ ok: false });
    expect(await database.db.select().from(hardwareTokens)).toEqual([]);
  });

  it("refuses a file without the header", async () => {
    const result = await run(`T-1,${SECRET_A},30,Contoso,Model`);
    expect(result).toMatchObject({ ok: false, problems: [{ line: 1 }] });
  });

  it("seals each secret with its token's id, assigns rows that name a person, and audits", async () => {
    const holder = await newUser("holder-b");
    const csv = [
      "UPN,Serial Number,Secret Key,Time Interval,Manufacturer,Model",
      `HOLDER-B@example.edu,S-200,${SECRET_A.toLowerCase()},30,Contoso,Hard Token 1`,
      `,S-201,${SECRET_B.match(/.{4}/g)!.join(" ")},60,Contoso,Hard Token 2`,
    ].join("\r\n");
    const preview = await previewTokenImport(database.db, csv);
    expect(preview.problems).toEqual([]);
    expect(preview.rows).toHaveLength(2);
    const result = await run(csv);
    expect(result).toEqual({
      ok: true,
      imported: 2,
      assigned: [{ userId: holder.id, serialNumber: "S-200" }],
    });

    const first = await tokenBySerial("S-200");
    expect(first.secretSealed).not.toContain(SECRET_A);
    expect(unseal(first.secretSealed, first.id)).toBe(SECRET_A);
    const second = await tokenBySerial("S-201");
    // Copied to another row, a sealed secret does not open (R-A3.4).
    expect(() => unseal(first.secretSealed, second.id)).toThrow();
    expect(second).toMatchObject({ periodSeconds: 60, userId: null, model: "Hard Token 2" });
    expect(first.userId).toBe(holder.id);

    const [audit] = await database.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, "admin.hardware_tokens.imported"));
    expect(audit).toMatchObject({
      actorId: admin.id,
      details: { imported: 2, assigned: 1, reason: "Spring delivery" },
    });
    // The same serial numbers again: refused as already in the inventory.
    expect(await run(csv)).toMatchObject({ ok: false });

    const { items } = await listTokens(database.db);
    expect(items.map((t) => [t.serialNumber, t.state])).toEqual([
      ["S-200", "assigned"],
      ["S-201", "available"],
    ]);
    expect(JSON.stringify(items)).not.toMatch(/secret/i);
  });
});

describe("a token in someone's hands", () => {
  it("is assigned once, activated with its current code, and then signs in like an authenticator app", async () => {
    await run(
      [
        "upn,serial number,secret key,time interval,manufacturer,model",
        `,H-300,${SECRET_C},60,Contoso,Hard Token 60`,
      ].join("\n"),
    );
    const token = await tokenBySerial("H-300");
    const user = await newUser("token-holder");
    const other = await newUser("token-other");
    expect(await assignToken(database.db, token.id, user.id)).toMatchObject({
      serialNumber: "H-300",
    });
    // Someone already holds it.
    expect(await assignToken(database.db, token.id, other.id)).toBeNull();
    expect(await listTokensToActivate(database.db, user.id)).toEqual([
      { id: token.id, serialNumber: "H-300", model: "Hard Token 60" },
    ]);

    // Another person cannot activate it, and a wrong code does not.
    const code = await totpCode(SECRET_C, clock.now(), 60);
    expect(await activateHardwareToken(database.db, other.id, token.id, code)).toEqual({
      ok: false,
      reason: "not_found",
    });
    const wrong = code === "000000" ? "111111" : "000000";
    expect(await activateHardwareToken(database.db, user.id, token.id, wrong)).toEqual({
      ok: false,
      reason: "wrong_code",
    });
    const activated = await activateHardwareToken(database.db, user.id, token.id, code);
    expect(activated).toMatchObject({ ok: true, value: { serialNumber: "H-300" } });

    const summary = await getMethodSummary(database.db, user.id);
    expect(summary.methods.map((m) => [m.kind, m.label])).toEqual([
      ["hardware_token", "Serial H-300"],
    ]);
    expect(summary.defaultChoice).toEqual({ option: "code", methodId: null });

    const context = { ip: "192.0.2.8", userAgent: "vitest", purpose: "sign_in" as const };
    // The activation code's step is spent (R-A4.4).
    expect(await verifySecondFactor(database.db, user, "code", code, context)).toMatchObject({
      ok: false,
    });
    const next = await totpCode(SECRET_C, new Date(clock.ms() + 60_000), 60);
    expect(await verifySecondFactor(database.db, user, "code", next, context)).toEqual({
      ok: true,
      amr: "otp",
    });
    // ...once (R-A4.3).
    expect(await verifySecondFactor(database.db, user, "code", next, context)).toMatchObject({
      ok: false,
    });
    const replays = await database.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, "auth.mfa.replay"));
    expect(replays.some((r) => r.subjectId === user.id)).toBe(true);

    const { items } = await listTokens(database.db, { state: "active" });
    expect(items.map((t) => [t.serialNumber, t.assignee?.email])).toEqual([
      ["H-300", "token-holder@example.edu"],
    ]);
  });

  it("shares the five-device limit with authenticator apps, both ways", async () => {
    const user = await newUser("five-devices");
    for (let i = 0; i < 4; i++) {
      await beginAuthenticatorEnrolment(database.db, user.id, `App ${i}`);
      const pending = await getPendingEnrolment(database.db, user.id, {
        issuer: "Example University",
        account: user.email,
      });
      expect(
        await confirmAuthenticatorEnrolment(database.db, user.id, await totpCode(pending!.secret)),
      ).toMatchObject({ ok: true });
    }
    await run(["serial number,secret key", `L-400,${SECRET_A}`, `L-401,${SECRET_B}`].join("\n"));
    const first = await tokenBySerial("L-400");
    const second = await tokenBySerial("L-401");
    await assignToken(database.db, first.id, user.id);
    await assignToken(database.db, second.id, user.id);
    expect(
      await activateHardwareToken(database.db, user.id, first.id, await totpCode(SECRET_A)),
    ).toMatchObject({ ok: true });
    // Five code devices now: neither a sixth token nor a sixth app.
    expect(
      await activateHardwareToken(database.db, user.id, second.id, await totpCode(SECRET_B)),
    ).toEqual({ ok: false, reason: "limit_reached" });
    expect(await beginAuthenticatorEnrolment(database.db, user.id, "App 5")).toEqual({
      ok: false,
      reason: "limit_reached",
    });

    // Taking the tokens back frees them and removes the method.
    expect(await database.db.transaction((tx) => unassignHardwareTokens(tx, user.id))).toBe(2);
    const kinds = (
      await database.db.select().from(mfaMethods).where(eq(mfaMethods.userId, user.id))
    ).map((m) => m.kind);
    expect(kinds).not.toContain("hardware_token");
    expect((await tokenBySerial("L-400")).userId).toBeNull();
  });
});
