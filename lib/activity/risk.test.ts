import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { knownNetworks, signInEvents } from "@/lib/db/schema";
import { createTestDatabase } from "@/lib/testing/test-database";
import type { IpIntel } from "./ip-intel";
import {
  assessSignInRisk,
  evaluateRisk,
  haversineKm,
  markNetworkKnown,
  RISK_REASON_TEXT,
  RISK_REASONS,
  RISK_THRESHOLDS,
  type RiskHistory,
} from "./risk";
import { createTestUser } from "@/lib/testing/users";

const LONDON = { countryCode: "GB", latitude: 51.5072, longitude: -0.1276 };
const PARIS = { countryCode: "FR", latitude: 48.8566, longitude: 2.3522 };
const NEW_YORK = { countryCode: "US", latitude: 40.7128, longitude: -74.006 };
const LILLE = { countryCode: "FR", latitude: 50.6292, longitude: 3.0573 };
const TOURNAI = { countryCode: "BE", latitude: 50.6056, longitude: 3.3879 };

function intel(place: Partial<IpIntel> & { countryCode: string | null }): IpIntel {
  return {
    ip: "198.51.100.7",
    network: "public",
    countryName: null,
    city: null,
    latitude: null,
    longitude: null,
    asn: 64501,
    isp: "Example Broadband",
    hosting: false,
    ...place,
  };
}

const NOW = new Date("2026-03-10T12:00:00Z");
const hoursAgo = (hours: number) => new Date(NOW.getTime() - hours * 3_600_000);
const quiet = { accounts: 0, attempts: 0 };

function history(partial: Partial<RiskHistory>): RiskHistory {
  return { recentSuccesses: [], knownAsns: [], failuresFromAddress: quiet, ...partial };
}

describe("evaluateRisk on crafted histories (R-A14.6)", () => {
  it("finds nothing unusual in a sign-in from home", () => {
    const result = evaluateRisk(
      { at: NOW, intel: intel(LONDON) },
      history({ recentSuccesses: [{ at: hoursAgo(24), ...LONDON }] }),
    );
    expect(result).toEqual({ level: "none", reasons: [] });
  });

  it("does not call the first sign-in ever a new country", () => {
    expect(evaluateRisk({ at: NOW, intel: intel(PARIS) }, history({}))).toEqual({
      level: "none",
      reasons: [],
    });
  });

  it("calls a country missing from 90 days of successes new (medium)", () => {
    const result = evaluateRisk(
      { at: NOW, intel: intel(PARIS) },
      history({ recentSuccesses: [{ at: hoursAgo(48), ...LONDON }] }),
    );
    expect(result).toEqual({ level: "medium", reasons: ["new_country"] });
  });

  it("flags a hosting or VPN network (medium) unless the person marked it as theirs (low)", () => {
    const vpn = intel({ ...LONDON, asn: 9009, isp: "M247 Europe SRL", hosting: true });
    const past = [{ at: hoursAgo(24), ...LONDON }];
    expect(evaluateRisk({ at: NOW, intel: vpn }, history({ recentSuccesses: past }))).toEqual({
      level: "medium",
      reasons: ["hosting_network"],
    });
    expect(
      evaluateRisk({ at: NOW, intel: vpn }, history({ recentSuccesses: past, knownAsns: [9009] })),
    ).toEqual({ level: "low", reasons: [] });
    // Marking another network does not exempt this one.
    expect(
      evaluateRisk({ at: NOW, intel: vpn }, history({ recentSuccesses: past, knownAsns: [16509] }))
        .reasons,
    ).toEqual(["hosting_network"]);
  });

  it("calls London to New York in two hours impossible travel (high), and in ten hours possible", () => {
    const fast = evaluateRisk(
      { at: NOW, intel: intel(NEW_YORK) },
      history({ recentSuccesses: [{ at: hoursAgo(2), ...LONDON }] }),
    );
    expect(fast).toEqual({ level: "high", reasons: ["new_country", "impossible_travel"] });
    const flight = evaluateRisk(
      { at: NOW, intel: intel(NEW_YORK) },
      history({ recentSuccesses: [{ at: hoursAgo(10), ...LONDON }] }),
    );
    expect(flight.reasons).not.toContain("impossible_travel");
  });

  it("measures from the newest success that has a place, skipping ones without", () => {
    const result = evaluateRisk(
      { at: NOW, intel: intel({ ...PARIS, countryCode: "GB" }) },
      history({
        recentSuccesses: [
          { at: hoursAgo(0.5), countryCode: null, latitude: null, longitude: null },
          { at: hoursAgo(1), ...NEW_YORK },
          { at: hoursAgo(20), ...LONDON },
        ],
      }),
    );
    expect(result.reasons).toEqual(["impossible_travel"]);
  });

  it("ignores short hops across a border and any travel within one country", () => {
    expect(
      haversineKm([LILLE.latitude, LILLE.longitude], [TOURNAI.latitude, TOURNAI.longitude]),
    ).toBeLessThan(RISK_THRESHOLDS.minTravelKm);
    const border = evaluateRisk(
      { at: NOW, intel: intel(TOURNAI) },
      history({
        recentSuccesses: [
          { at: hoursAgo(0.1), ...LILLE },
          { at: hoursAgo(5), ...TOURNAI },
        ],
      }),
    );
    expect(border).toEqual({ level: "none", reasons: [] });
    const domestic = evaluateRisk(
      { at: NOW, intel: intel({ ...LONDON, latitude: 57.15, longitude: -2.09 }) },
      history({ recentSuccesses: [{ at: hoursAgo(0.2), ...LONDON }] }),
    );
    expect(domestic).toEqual({ level: "none", reasons: [] });
  });

  it("does not judge travel through a network the person vouched for", () => {
    const vpnInNewYork = intel({ ...NEW_YORK, asn: 9009, hosting: true });
    const result = evaluateRisk(
      { at: NOW, intel: vpnInNewYork },
      history({
        recentSuccesses: [
          { at: hoursAgo(1), ...LONDON },
          { at: hoursAgo(30), ...NEW_YORK },
        ],
        knownAsns: [9009],
      }),
    );
    expect(result).toEqual({ level: "low", reasons: [] });
  });

  it("calls many failing accounts from one address a password spray (high)", () => {
    const atThreshold = { accounts: RISK_THRESHOLDS.sprayAccounts, attempts: 40 };
    expect(
      evaluateRisk(
        { at: NOW, intel: intel(LONDON) },
        history({ failuresFromAddress: atThreshold }),
      ),
    ).toEqual({ level: "high", reasons: ["password_spray"] });
    // Inside the organisation's network many people share one address: not judged a spray.
    expect(
      evaluateRisk(
        { at: NOW, intel: intel({ ...LONDON, network: "private", ip: "10.0.0.8" }) },
        history({ failuresFromAddress: atThreshold }),
      ).reasons,
    ).not.toContain("password_spray");
    const oneForgetful = { accounts: RISK_THRESHOLDS.sprayAccounts - 1, attempts: 40 };
    expect(
      evaluateRisk(
        { at: NOW, intel: intel(LONDON) },
        history({ failuresFromAddress: oneForgetful }),
      ).level,
    ).toBe("none");
  });

  it("never trusts an address it could not read (R-A14.5)", () => {
    const unknown = intel({
      countryCode: null,
      ip: null,
      network: "unknown",
      asn: null,
      isp: null,
    });
    expect(
      evaluateRisk(
        { at: NOW, intel: unknown },
        history({ recentSuccesses: [{ at: hoursAgo(24), ...LONDON }] }),
      ),
    ).toEqual({ level: "high", reasons: ["unknown_address"] });
  });

  it("treats a private-network sign-in as ordinary", () => {
    const inside = intel({ countryCode: null, ip: "10.1.2.3", network: "private", asn: null });
    expect(
      evaluateRisk(
        { at: NOW, intel: inside },
        history({ recentSuccesses: [{ at: hoursAgo(0.1), ...NEW_YORK }] }),
      ),
    ).toEqual({ level: "none", reasons: [] });
  });

  it("explains every reason in a sentence", () => {
    for (const reason of RISK_REASONS) expect(RISK_REASON_TEXT[reason]).toMatch(/^[A-Z].+\.$/);
  });
});

describe("assessSignInRisk on stored sign-ins", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.dispose();
  });

  type Row = typeof signInEvents.$inferInsert;
  const event = (row: Partial<Row> & Pick<Row, "result" | "at">): Row => ({
    reason: row.result === "success" ? "password" : "wrong_password",
    ip: "198.51.100.7",
    ...row,
  });

  it("reads countries, the last place and known networks from the person's own sign-ins", async () => {
    const { db } = database;
    const { id: userId } = await createTestUser(db, {
      email: "traveller@example.edu",
      displayName: "Traveller",
      role: "user",
    });
    const { id: otherId } = await createTestUser(db, {
      email: "other@example.edu",
      displayName: "Other",
      role: "user",
    });
    await db.insert(signInEvents).values([
      event({ userId, result: "success", at: hoursAgo(24 * 100), ...PARIS }), // outside 90 days
      event({ userId, result: "success", at: hoursAgo(24 * 30), ...NEW_YORK }),
      event({ userId, result: "success", at: hoursAgo(3), ...LONDON }),
      event({ userId, result: "success", at: hoursAgo(1), countryCode: null, ip: "10.0.0.5" }),
      event({ userId, result: "failure", at: hoursAgo(0.5), ...PARIS }), // failures are not history
      event({ userId, result: "interrupted", at: hoursAgo(0.4), ...PARIS }),
      event({ userId: otherId, result: "success", at: hoursAgo(0.5), ...PARIS }), // someone else
    ]);

    // Paris 3 hours after London is possible, but France is new within 90 days.
    expect(await assessSignInRisk(db, { userId, at: NOW, intel: intel(PARIS) })).toEqual({
      level: "medium",
      reasons: ["new_country"],
    });
    // New York was seen 30 days ago: not new, but 5,570 km in 3 hours is impossible.
    expect(await assessSignInRisk(db, { userId, at: NOW, intel: intel(NEW_YORK) })).toEqual({
      level: "high",
      reasons: ["impossible_travel"],
    });
    // A later sign-in does not count as history for an earlier moment.
    await db
      .insert(signInEvents)
      .values(event({ userId, result: "success", at: hoursAgo(-1), ...PARIS }));
    expect((await assessSignInRisk(db, { userId, at: NOW, intel: intel(PARIS) })).reasons).toEqual([
      "new_country",
    ]);

    const vpn = intel({ ...LONDON, asn: 9009, hosting: true });
    expect(await assessSignInRisk(db, { userId, at: NOW, intel: vpn })).toEqual({
      level: "medium",
      reasons: ["hosting_network"],
    });
    await markNetworkKnown(db, userId, 9009);
    await markNetworkKnown(db, userId, 9009); // twice is harmless
    expect(await assessSignInRisk(db, { userId, at: NOW, intel: vpn })).toEqual({
      level: "low",
      reasons: [],
    });
    expect(
      await db.select().from(knownNetworks).where(eq(knownNetworks.userId, userId)),
    ).toHaveLength(1);
    // Only for that person, whose own history (one sign-in, from Paris) makes London new.
    expect(await assessSignInRisk(db, { userId: otherId, at: NOW, intel: vpn })).toEqual({
      level: "medium",
      reasons: ["hosting_network", "new_country"],
    });
  });

  it("counts distinct failing accounts, and failures for no account, from one address in the window", async () => {
    const { db } = database;
    const spray = "203.0.113.66";
    const victims = [];
    for (let i = 0; i < 6; i++) {
      const { id } = await createTestUser(db, {
        email: `victim${i}@example.edu`,
        displayName: `Victim ${i}`,
        role: "user",
      });
      victims.push(id);
    }
    const rows: Row[] = [];
    // Six accounts, several failures each, within the hour.
    for (const [i, id] of victims.entries()) {
      for (let k = 0; k < 3; k++) {
        rows.push(
          event({
            userId: id,
            result: "failure",
            at: hoursAgo(0.1 + i * 0.05 + k * 0.01),
            ip: spray,
          }),
        );
      }
    }
    // Three unknown names: nine accounts so far.
    for (let k = 0; k < 3; k++) {
      rows.push(event({ userId: null, result: "failure", at: hoursAgo(0.3), ip: spray }));
    }
    // Outside the window, from another address, or not failures: none of these count.
    rows.push(event({ userId: null, result: "failure", at: hoursAgo(2), ip: spray }));
    rows.push(event({ userId: null, result: "failure", at: hoursAgo(0.2), ip: "203.0.113.67" }));
    rows.push(event({ userId: victims[0]!, result: "success", at: hoursAgo(0.2), ip: spray }));
    // Wrong codes after a right password are not a spray either.
    for (let k = 0; k < 5; k++) {
      rows.push(
        event({
          userId: null,
          result: "failure",
          reason: "mfa_failed",
          at: hoursAgo(0.2),
          ip: spray,
        }),
      );
    }
    await db.insert(signInEvents).values(rows);

    const { id: target } = await createTestUser(db, {
      email: "target@example.edu",
      displayName: "Target",
      role: "user",
    });
    const from = intel({ ...LONDON, ip: spray });
    expect(await assessSignInRisk(db, { userId: target, at: NOW, intel: from })).toEqual({
      level: "none",
      reasons: [],
    });
    await db
      .insert(signInEvents)
      .values(event({ userId: null, result: "failure", at: hoursAgo(0.05), ip: spray }));
    expect(await assessSignInRisk(db, { userId: target, at: NOW, intel: from })).toEqual({
      level: "high",
      reasons: ["password_spray"],
    });
  });

  it("rates an unreadable address high without querying by it", async () => {
    const { db } = database;
    const { id: userId } = await createTestUser(db, {
      email: "nowhere@example.edu",
      displayName: "Nowhere",
      role: "user",
    });
    const unknown = intel({ countryCode: null, ip: null, network: "unknown", asn: null });
    expect(await assessSignInRisk(db, { userId, at: NOW, intel: unknown })).toEqual({
      level: "high",
      reasons: ["unknown_address"],
    });
  });
});
